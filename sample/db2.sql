-- A small, realistic DB2 (second-year schema) for the demo and the local stack. Run after schema/db2.sql.
-- 'Básico' was synced before and still has last year's price; the other plans are new to DB2.
INSERT INTO plano (id, nome, tipo_conta, descricao, valor) VALUES
    ('11111111-1111-4111-8111-000000000001', 'Básico', 'universitario', 'Anúncios de quartos e contato com anunciantes', 14.90);

-- Accounts from an earlier sync (DB1 edited them since) and new sign-ups that only DB2 has.
INSERT INTO universitario (id, email, nome, dne, dt_nascimento, genero, prefixo, telefone, municipio, universidade,
                           plano_id, bio) VALUES
    ('33333333-3333-4333-8333-000000000001', 'ana.souza@example.com', 'Ana Souza', 'DNE-2023-0001', '2003-04-12',
     'feminino', '55', '(11) 98765-4321', 'São Paulo', 'USP', '11111111-1111-4111-8111-000000000001', NULL),
    ('33333333-3333-4333-8333-000000000002', 'bruno.lima@example.com', 'Bruno Lima', 'DNE-2024-0042', '2004-01-23',
     'masculino', '+55', '+55 (21) 99123-4567', 'Rio de Janeiro', 'UFRJ', '11111111-1111-4111-8111-000000000001',
     'Calouro de engenharia'),
    ('33333333-3333-4333-8333-000000000003', 'Carla.Dias@Example.com ', 'Carla Dias', 'DNE-2024-0077', '2005-07-02',
     'feminino', NULL, '31987654321', 'Belo Horizonte', 'UFMG', NULL, NULL),
    ('33333333-3333-4333-8333-000000000004', 'diego@example.com', 'Diego Ramos', 'DNE-2024-0103', '2004-11-15',
     'masculino', '+55', '9876-5432', 'Recife', 'UFPE', NULL, 'Telefone sem DDD: a sincronização rejeita');

INSERT INTO anunciante (id, email, nome, dt_nascimento, genero, municipio, prefixo, telefone, bio, plano_id) VALUES
    ('44444444-4444-4444-8444-000000000001', 'carlos@imoveis.example.com', 'Carlos Mendes', '1980-09-30', 'masculino',
     'Campinas', '+55', '19998765432', NULL, NULL),
    ('44444444-4444-4444-8444-000000000002', 'elisa@casas.example.com', 'Elisa Prado', '1975-03-08', 'feminino',
     'Curitiba', '+55', '(41) 99555-1234', 'Casas para estudantes perto da UFPR', NULL),
    ('44444444-4444-4444-8444-000000000003', 'fabio@unknown.example.com', 'Fábio Nunes', '1990-06-19', 'masculino',
     'Porto Alegre', '+55', '51 98888-7777', NULL, NULL);

-- Payments made in DB2: Bruno's is new, Elisa's is pending, and one has no account behind its email.
INSERT INTO pagamento_plano (id, nome, email, plano_id, pago, created_at) VALUES
    ('55555555-5555-4555-8555-000000000002', 'Bruno Lima', 'bruno.lima@example.com',
     '11111111-1111-4111-8111-000000000001', true, '2026-11-20 10:00:00+00'),
    ('55555555-5555-4555-8555-000000000003', 'Elisa Prado', 'elisa@casas.example.com',
     '11111111-1111-4111-8111-000000000001', false, '2026-11-25 15:30:00+00'),
    ('55555555-5555-4555-8555-000000000004', 'Ninguém', 'nobody@example.com',
     '11111111-1111-4111-8111-000000000001', true, '2026-11-26 09:00:00+00');
