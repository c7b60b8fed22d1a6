-- A small, realistic DB1 (first-year schema) for the demo and the local stack. Run after schema/db1.sql.
INSERT INTO Plano (uId, cNome, cTipoUsuario, nValor, cDescricao) VALUES
    ('11111111-1111-4111-8111-000000000001', 'Básico',         'universitario', 19.90, 'Anúncios de quartos e contato com anunciantes'),
    ('11111111-1111-4111-8111-000000000002', 'Premium',        'universitario', 39.90, 'Destaque no perfil e filtros avançados'),
    ('11111111-1111-4111-8111-000000000003', 'Anunciante Pro', 'anunciante',    99.00, 'Até 20 anúncios ativos e estatísticas');

INSERT INTO Plano_vantagem (uId, cVantagem, cAtivo, uId_Plano) VALUES
    ('22222222-2222-4222-8222-000000000001', 'Mensagens ilimitadas',    '1', '11111111-1111-4111-8111-000000000001'),
    ('22222222-2222-4222-8222-000000000002', 'Perfil em destaque',      '1', '11111111-1111-4111-8111-000000000002'),
    ('22222222-2222-4222-8222-000000000003', 'Filtros avançados',       '1', '11111111-1111-4111-8111-000000000002'),
    ('22222222-2222-4222-8222-000000000004', 'Selo de verificado',      '0', '11111111-1111-4111-8111-000000000002'),
    ('22222222-2222-4222-8222-000000000005', 'Estatísticas de anúncio', '1', '11111111-1111-4111-8111-000000000003');

-- Accounts that already went through an earlier sync; DB1 has newer profile edits than DB2.
INSERT INTO Universitario (uId, cDne, cNome, cUsername, cEmail, cSenha, dDtNascimento, cGenero, cMunicipio,
                           cPrefixo, cTel, cPlano, cFotoPerfil, cDescricao, cNmFaculdade) VALUES
    ('33333333-3333-4333-8333-000000000001', 'DNE-2023-0001', 'Ana Beatriz Souza', 'ana.souza', 'ana.souza@example.com',
     '$2b$12$Tq3m6wzN0c9n3oQ6v0eLxOqQ1QpZ1cW0mJ0n2Vb8s6f0mWJt1a2Km', '2003-04-12', 'feminino', 'São Paulo',
     '+55', '11 98765-4321', '1', NULL, 'Procuro quarto perto da USP', 'Universidade de São Paulo');

INSERT INTO Anunciante (uId, cNome, cUsername, cEmail, cSenha, dDtNascimento, cGenero, cMunicipio, cPrefixo, cTel,
                        cPlano, cDescricao, cFotoPerfil) VALUES
    ('44444444-4444-4444-8444-000000000001', 'Carlos Mendes', 'carlos.mendes', 'carlos@imoveis.example.com',
     '$2b$12$Kz1o4Yw0Lq7m8e2Vb6cQkO3pS9tUu1nR5aWdXf0gHh2jJk4lMn6Oq', '1980-09-30', 'masculino', 'Campinas',
     '+55', '19 99876-5432', '1', 'Repúblicas mobiliadas no centro', NULL);

INSERT INTO Pagamento (uId, cAtivo, dDtFim, nPctDesconto, nTotal, uId_Anunciante, uId_Plano, uId_Universitario) VALUES
    ('55555555-5555-4555-8555-000000000001', '1', '2026-12-01', 0, 39.90, NULL,
     '11111111-1111-4111-8111-000000000002', '33333333-3333-4333-8333-000000000001');
