"""Bulk saves on PostgreSQL keep the planner's statistics current as the table grows."""

from __future__ import annotations

import sqlalchemy as sa

import runstore


def test_bulk_saves_analyze_the_table_as_it_grows(postgres_url: str) -> None:
    with runstore.open(postgres_url) as store:
        for batch in range(3):
            conversation = f"c{batch}"
            store.conversations.save_conversation({"id": conversation, "source": "bench"})
            saved = store.conversations.save_messages([
                {"id": f"m{n}", "conversation_id": conversation, "position": n,
                 "role": "user", "content": f"message {n}"} for n in range(1000)])
            assert saved == 1000
    engine = sa.create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as conn:
            estimate = conn.execute(sa.text(
                "SELECT reltuples FROM pg_class WHERE relname = 'conversation_messages'"
            )).scalar_one()
    finally:
        engine.dispose()
    # Without ANALYZE, a table filled in one go is estimated from nothing (-1 or a stale
    # count of an earlier, emptied table); analyzed at 1,000 and 2,000 rows, it knows.
    assert estimate >= 2000
