"""Which call script applies, and the type of contact told from the customer base, on a real
database (SQLite and PostgreSQL): queue and type first, then the type, then the queue,
then the general script; a disposition, a competitor flag, a partner segment, a repeat
within seven days and a regular segment each tell the type."""

from __future__ import annotations

from sqlalchemy.orm import Session

from dozvon.conversations.models import Conversation
from dozvon.core.clock import now_us
from dozvon.crm import actions as crm
from dozvon.knowledge import scripts

STEP = [{"title": "Шаг", "text": "Текст"}]
DAY_US = 86_400 * 1_000_000


def _script(db: Session, project: str, title: str, queue: str | None = None, kind: str | None = None) -> int:
    return scripts.save_script(db, "test", project, scripts.ScriptIn(title=title, steps=STEP, queue=queue,
                                                                     contact_type=kind)).id


def test_the_most_specific_script_applies(db: Session, project: str) -> None:
    with db.begin():
        general = _script(db, project, "Общий")
        sales = _script(db, project, "Продажи", queue="sales")
        complaint = _script(db, project, "Жалоба", kind="complaint")
        sales_complaint = _script(db, project, "Жалоба в продажах", queue="sales", kind="complaint")

        def applies(queue: str, kind: str | None) -> int | None:
            found = scripts.applicable(db, project, queue, kind)
            return found.id if found is not None else None

        assert applies("sales", "complaint") == sales_complaint
        assert applies("support", "complaint") == complaint
        assert applies("sales", "regular") == sales
        assert applies("support", "regular") == general
        assert applies("support", None) == general
        scripts.delete_script(db, "test", project, general)
        assert applies("support", "regular") is None
        assert applies("other", "complaint") == complaint


def test_the_type_of_contact_is_told_from_the_customer_base(db: Session, project: str) -> None:
    now = now_us()
    with db.begin():
        def customer(name: str, segment: str | None = None) -> str:
            return crm.create_customer(db, "test", project, name, segment=segment).id

        def conversation(cid: str, customer_id: str | None, at: int = now, **extra: object) -> Conversation:
            row = Conversation(id=cid, project=project, channel="voice", queue="sales", external_id=cid,
                               customer_id=customer_id, created_at_us=at, **extra)
            db.add(row)
            db.flush()
            return row

        def told(row: Conversation) -> tuple[str, str]:
            return scripts.likely_type(db, project, row)

        assert told(conversation("anon", None)) == ("new_inquiry", "default")
        rival = customer("Конкурент", segment="vip")
        crm.set_flag(db, "test", project, rival, "competitor", "спрашивает закупочные цены")
        assert told(conversation("c1", rival)) == ("competitor", "flag")
        assert told(conversation("p1", customer("ООО «Вектор»", segment="partner"))) == ("partner", "segment")
        back = customer("Ольга")
        conversation("r0", back, at=now - 6 * DAY_US)
        assert told(conversation("r1", back)) == ("clarification", "repeat")
        late = customer("Игорь")
        conversation("l0", late, at=now - 8 * DAY_US)  # more than seven days ago: not a repeat
        assert told(conversation("l1", late)) == ("new_inquiry", "default")
        assert told(conversation("v1", customer("Анна", segment="vip"))) == ("regular", "segment")
        recorded = conversation("d1", back, disposition={"contact_type": "complaint", "resolved": False})
        assert told(recorded) == ("complaint", "disposition")
