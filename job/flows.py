"""The five flows of one run, in the order they run. Adding a mapped column is one line here."""

from __future__ import annotations

from typing import Final

from job.emails import normalised_sql
from job.flow_model import Column, CopyStep, ExactlyOne, Flow, Lookup, Reference, Side, StatusStep

DB2_TIMESTAMPS = ("created_at", "updated_at")

PLANS = Flow(
    name="plans",
    description="Plans, DB1 → DB2: inserted when missing, updated when a value differs.",
    steps=(
        CopyStep(
            name="plans",
            mode="upsert",
            source=Side.DB1,
            source_table="plano",
            source_key="uid",
            target=Side.DB2,
            target_table="plano",
            target_key="id",
            columns=(
                Column(source="cnome", target="nome"),
                Column(source="ctipousuario", target="tipo_conta"),
                Column(source="cdescricao", target="descricao"),
                Column(source="nvalor", target="valor"),
            ),
            insert_timestamps=DB2_TIMESTAMPS,
            update_timestamps=("updated_at",),
        ),
    ),
)

PLAN_BENEFITS = Flow(
    name="plan_benefits",
    description="Plan benefits, DB1 → DB2: inserted when missing, updated when a value differs.",
    steps=(
        CopyStep(
            name="plan_benefits",
            mode="upsert",
            source=Side.DB1,
            source_table="plano_vantagem",
            source_key="uid",
            target=Side.DB2,
            target_table="plano_vantagens",
            target_key="id",
            columns=(
                Column(source="cvantagem", target="vantagem"),
                Column(source="cativo", target="ativo", convert="flag_to_bool"),
                Column(source="uid_plano", target="plano_id"),
            ),
            references=(Reference(column="plano_id", table="plano", key="id"),),
        ),
    ),
)


def _account_flow(name: str, what: str, db1_table: str, db2_table: str, extra: tuple[tuple[str, str], ...]) -> Flow:
    """Students and advertisers share one shape; `extra` pairs (DB2 column, DB1 column) only one of them has."""
    create_extra = tuple(Column(source=db2, target=db1) for db2, db1 in extra)
    update_extra = tuple(Column(source=db1, target=db2) for db2, db1 in extra)
    return Flow(
        name=name,
        description=f"{what}: new DB2 accounts created in DB1; DB1 profile edits copied back to DB2.",
        steps=(
            CopyStep(
                name=f"{name}.create",
                mode="insert_missing",
                source=Side.DB2,
                source_table=db2_table,
                source_key="id",
                target=Side.DB1,
                target_table=db1_table,
                target_key="uid",
                columns=(
                    Column(source="nome", target="cnome"),
                    Column(source="nome", target="cusername", resolver="username"),
                    Column(source="email", target="cemail", convert="email"),
                    Column(source="email", target="csenha", resolver="helper_password"),
                    Column(source="dt_nascimento", target="ddtnascimento"),
                    Column(source="genero", target="cgenero"),
                    Column(source="municipio", target="cmunicipio"),
                    Column(source="prefixo", target="cprefixo", convert="dial_prefix"),
                    Column(source="telefone", target="ctel", convert="phone_br"),
                    Column(source="plano_id", target="cplano", convert="present_to_flag"),
                    Column(source="email", target="cfotoperfil", resolver="helper_photo"),
                    Column(source="bio", target="cdescricao"),
                    *create_extra,
                ),
            ),
            CopyStep(
                name=f"{name}.update",
                mode="update_existing",
                source=Side.DB1,
                source_table=db1_table,
                source_key="uid",
                target=Side.DB2,
                target_table=db2_table,
                target_key="id",
                columns=(
                    Column(source="cemail", target="email", compare="email"),
                    Column(source="cnome", target="nome"),
                    Column(source="ddtnascimento", target="dt_nascimento"),
                    Column(source="cgenero", target="genero"),
                    Column(source="cprefixo", target="prefixo", compare="dial_prefix"),
                    Column(source="ctel", target="telefone", compare="phone"),
                    Column(source="cmunicipio", target="municipio"),
                    Column(source="cdescricao", target="bio"),
                    Column(source="cplano", target="plano_id", convert="flag_to_null_or_keep"),
                    *update_extra,
                ),
                update_timestamps=("updated_at",),
            ),
        ),
    )


STUDENTS = _account_flow(
    "students",
    "Students",
    "universitario",
    "universitario",
    extra=(("dne", "cdne"), ("universidade", "cnmfaculdade")),
)
ADVERTISERS = _account_flow("advertisers", "Advertisers", "anunciante", "anunciante", extra=())

# The payer's candidates are every DB2 account with the payment's normalised email (job.emails); the
# step's ExactlyOne rule keeps the one DB1 holds. The date is taken in Hestia's time zone.
PAYMENTS_SOURCE_SQL = f"""
SELECT p.id, p.plano_id, p.pago,
       CASE WHEN p.created_at < '4714-11-25 00:00+00 BC' THEN '-infinity'::date  -- no São Paulo date this early
            ELSE (p.created_at AT TIME ZONE 'America/Sao_Paulo')::date END AS created_on,
       array_agg(DISTINCT u.id::text) FILTER (WHERE u.id IS NOT NULL) AS universitario_ids,
       array_agg(DISTINCT a.id::text) FILTER (WHERE a.id IS NOT NULL) AS anunciante_ids
FROM {{source}} p
LEFT JOIN universitario u ON {normalised_sql("u.email")} = {normalised_sql("p.email")}
LEFT JOIN anunciante a ON {normalised_sql("a.email")} = {normalised_sql("p.email")}
GROUP BY p.id, p.plano_id, p.pago, p.created_at
"""

PAYMENTS = Flow(
    name="payments",
    description="Payments, DB2 → DB1 when new; their paid status kept equal both ways (DB1 wins a conflict).",
    steps=(
        CopyStep(
            name="payments.create",
            mode="insert_missing",
            source=Side.DB2,
            source_table="pagamento_plano",
            source_key="id",
            source_sql=PAYMENTS_SOURCE_SQL,
            target=Side.DB1,
            target_table="pagamento",
            target_key="uid",
            columns=(
                Column(source="universitario_ids", target="uid_universitario", convert="candidates"),
                Column(source="anunciante_ids", target="uid_anunciante", convert="candidates"),
                Column(source="plano_id", target="uid_plano"),
                Column(source="plano_id", target="ntotal", lookup=Lookup(table="plano", key="uid", value="nvalor")),
                Column(target="npctdesconto", constant=0),
                Column(source="created_on", target="ddtfim", convert="plus_one_month"),
                Column(source="pago", target="cativo", convert="bool_to_flag"),
            ),
            references=(
                Reference(column="uid_universitario", table="universitario", key="uid"),
                Reference(column="uid_anunciante", table="anunciante", key="uid"),
            ),
            exactly_one=ExactlyOne(
                columns=("uid_universitario", "uid_anunciante"),
                reason_if_none="no DB2 student or advertiser has this payment's email",
                reason_if_many="more than one DB1 account has this payment's email",
            ),
        ),
        StatusStep(
            name="payments.status",
            left=Side.DB1,
            left_table="pagamento",
            left_key="uid",
            left_column="cativo",
            left_to_common="status_flag_to_bool",
            common_to_left="bool_to_flag",
            right=Side.DB2,
            right_table="pagamento_plano",
            right_key="id",
            right_column="pago",
            right_update_timestamps=("updated_at",),
        ),
    ),
)

FLOWS: Final[tuple[Flow, ...]] = (PLANS, PLAN_BENEFITS, STUDENTS, ADVERTISERS, PAYMENTS)
FLOW_NAMES: Final[tuple[str, ...]] = tuple(flow.name for flow in FLOWS)


def select_flows(names: list[str] | None) -> tuple[Flow, ...]:
    """The flows to run, in run order; None or [] means all. Unknown names raise ValueError."""
    if not names:
        return FLOWS
    unknown = sorted(set(names) - set(FLOW_NAMES))
    if unknown:
        raise ValueError(f"unknown flow {', '.join(unknown)}; choose from {', '.join(FLOW_NAMES)}")
    return tuple(flow for flow in FLOWS if flow.name in names)
