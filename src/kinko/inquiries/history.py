"""お取引の一覧 (INS-2): the instructions a user may see, with their outcome.

A general user of a corporate contract sees its own instructions; the master and admin users,
and a retail holder, see every instruction of the contract (PRD-4, ``kinko.auth.roles``).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from kinko.auth.roles import visible_user
from kinko.instructions import service as instructions
from kinko.instructions.models import Instruction
from kinko.instructions.service import Actor


def instructions_for(session: Session, actor: Actor, *, limit: int = 50, offset: int = 0
                     ) -> list[Instruction]:
    return instructions.list_for(session, actor, limit=limit, offset=offset,
                                 user_id=visible_user(session, actor))
