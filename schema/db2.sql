-- DB2: Hestia's second-year schema, as the second-year team runs it.
CREATE TABLE plano (
    id         uuid PRIMARY KEY,
    nome       varchar(50)   NOT NULL,
    tipo_conta varchar(50)   NOT NULL,
    descricao  text,
    valor      numeric(10,2) NOT NULL,
    created_at timestamptz   NOT NULL DEFAULT now(),
    updated_at timestamptz   NOT NULL DEFAULT now()
);

CREATE TABLE plano_vantagens (
    id       uuid PRIMARY KEY,
    vantagem varchar(100) NOT NULL,
    ativo    boolean      NOT NULL DEFAULT false,
    plano_id uuid         NOT NULL REFERENCES plano (id)
);

CREATE TABLE universitario (
    id            uuid PRIMARY KEY,
    email         varchar(266) NOT NULL UNIQUE,
    nome          varchar(100) NOT NULL,
    dne           varchar(30),
    dt_nascimento date,
    genero        varchar(50),
    prefixo       varchar(5),
    telefone      varchar(20),
    municipio     varchar(100),
    universidade  varchar(100),
    plano_id      uuid REFERENCES plano (id),
    bio           text,
    tipo_conta    varchar(20)  NOT NULL DEFAULT 'universitario',
    created_at    timestamptz  NOT NULL DEFAULT now(),
    updated_at    timestamptz  NOT NULL DEFAULT now()
);

CREATE TABLE anunciante (
    id            uuid PRIMARY KEY,
    email         varchar(266) NOT NULL UNIQUE,
    nome          varchar(100) NOT NULL,
    dt_nascimento date,
    genero        varchar(50),
    municipio     varchar(100),
    prefixo       varchar(5),
    telefone      varchar(20),
    bio           text,
    tipo_conta    varchar(20)  NOT NULL DEFAULT 'anunciante',
    plano_id      uuid REFERENCES plano (id),
    created_at    timestamptz  NOT NULL DEFAULT now(),
    updated_at    timestamptz  NOT NULL DEFAULT now()
);

CREATE TABLE pagamento_plano (
    id         uuid PRIMARY KEY,
    nome       varchar(100),
    email      varchar(266) NOT NULL,
    plano_id   uuid         NOT NULL REFERENCES plano (id),
    pago       boolean      NOT NULL DEFAULT false,
    created_at timestamptz  NOT NULL DEFAULT now(),
    updated_at timestamptz  NOT NULL DEFAULT now()
);

CREATE FUNCTION get_user_uuid_by_email(p_email text)
RETURNS TABLE (tipo_user text, uid uuid)
LANGUAGE sql STABLE AS $$
    SELECT 'universitario'::text, u.id FROM universitario u WHERE lower(u.email) = lower(p_email)
    UNION ALL
    SELECT 'anunciante'::text, a.id FROM anunciante a WHERE lower(a.email) = lower(p_email)
$$;
