-- DB1: Hestia's first-year schema, as the first-year team runs it (unquoted names fold to lower case).

CREATE TABLE Plano (
    uId          uuid PRIMARY KEY,
    cNome        varchar(50)   NOT NULL UNIQUE,
    cTipoUsuario varchar(50)   NOT NULL,
    nValor       decimal(10,2) NOT NULL CHECK (nValor > 0),
    cDescricao   text          NOT NULL
);

CREATE TABLE Plano_vantagem (
    uId       uuid PRIMARY KEY,
    cVantagem varchar(100) NOT NULL,
    cAtivo    char(1)      NOT NULL DEFAULT '0' CHECK (cAtivo ~ '^(0|1)$'),
    uId_Plano uuid         NOT NULL REFERENCES Plano (uId),
    UNIQUE (cVantagem, uId_Plano)
);

CREATE TABLE Universitario (
    uId           uuid PRIMARY KEY,
    cDne          varchar(30)  NOT NULL UNIQUE,
    cNome         varchar(100) NOT NULL,
    cUsername     varchar(50)  NOT NULL UNIQUE,
    cEmail        varchar(266) NOT NULL UNIQUE
                  CHECK (cEmail ~ '^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$'),
    cSenha        varchar(100) NOT NULL,
    dDtNascimento date         NOT NULL,
    cGenero       varchar(50)  NOT NULL,
    cMunicipio    varchar(100) NOT NULL,
    cPrefixo      varchar(5)   NOT NULL DEFAULT '+55' CHECK (cPrefixo ~ '^\+[0-9]+$'),
    cTel          varchar(20)  NOT NULL UNIQUE CHECK (cTel ~ '^\(?[0-9]{2}\)? ?[0-9]{5}[- ]?[0-9]{4}$'),
    cPlano        char(1)      NOT NULL DEFAULT '0' CHECK (cPlano ~ '^(0|1)$'),
    cFotoPerfil   text,
    cDescricao    text,
    uId_Anuncio   uuid,
    cNmFaculdade  varchar(100)
);

CREATE TABLE Anunciante (
    uId           uuid PRIMARY KEY,
    cNome         varchar(100) NOT NULL,
    cUsername     varchar(100) NOT NULL UNIQUE,
    cEmail        varchar(266) NOT NULL UNIQUE
                  CHECK (cEmail ~ '^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$'),
    cSenha        varchar(100) NOT NULL,
    dDtNascimento date         NOT NULL,
    cGenero       varchar(50)  NOT NULL,
    cMunicipio    varchar(100) NOT NULL,
    cPrefixo      varchar(5)   NOT NULL DEFAULT '+55' CHECK (cPrefixo ~ '^\+[0-9]+$'),
    cTel          varchar(20)  NOT NULL UNIQUE CHECK (cTel ~ '^\(?[0-9]{2}\)? ?[0-9]{5}[- ]?[0-9]{4}$'),
    cPlano        char(1)      NOT NULL DEFAULT '0' CHECK (cPlano ~ '^(0|1)$'),
    cDescricao    text,
    cFotoPerfil   text
);

CREATE TABLE Pagamento (
    uId               uuid PRIMARY KEY,
    cAtivo            varchar(2)    NOT NULL DEFAULT '-1' CHECK (cAtivo ~ '^(-1|0|1)$'),
    dDtFim            date,
    nPctDesconto      decimal(3,1)  DEFAULT 0 CHECK (nPctDesconto >= 0),
    nTotal            decimal(10,2) NOT NULL CHECK (nTotal > 0),
    uId_Anunciante    uuid REFERENCES Anunciante (uId),
    uId_Plano         uuid          NOT NULL REFERENCES Plano (uId),
    uId_Universitario uuid REFERENCES Universitario (uId),
    CHECK (num_nonnulls(uId_Anunciante, uId_Universitario) = 1)
);
