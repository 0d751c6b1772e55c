"""`expand[]` on lists, as Stripe does it for the fields that hold another object's id
(https://docs.stripe.com/api/expanding_objects: "Expansions on list requests start with the data property").

`expand[]=data.<field>` replaces, in each listed object, the id at `<field>` by the object it names (a charge's
`review` by the review), when `<field>` is one the emulator links (`EXPANDABLE`) and the object exists in the
account. Other expansions are accepted and change nothing.
"""
from __future__ import annotations

from . import fixtures, jsonlib
from .resources import BY_KEY

# field -> the resource whose id it holds
EXPANDABLE: dict[str, str] = {**fixtures.LINKS, "review": "reviews"}
LIST_PREFIX = "data."


def list_expansions(params: dict) -> list[str]:
    """The fields `expand[]` asks to expand on each object of a list (`data.review` -> `review`), those the emulator
    can expand."""
    wanted = params.get("expand") or []
    wanted = [wanted] if isinstance(wanted, str) else wanted
    return [name[len(LIST_PREFIX):] for name in wanted
            if name.startswith(LIST_PREFIX) and name[len(LIST_PREFIX):] in EXPANDABLE]


class ExpandedRecord:
    """A listed record whose object has some ids replaced by their objects; read like a store Record."""

    __slots__ = ("id", "res", "obj", "created")

    def __init__(self, rec, obj: dict):
        self.id, self.res, self.obj, self.created = rec.id, rec.res, obj, rec.created

    def bytes(self) -> bytes:
        return jsonlib.dumps(self.obj)


def expanded(state, recs: list, fields: list[str]) -> list:
    """`recs`, each with `fields` expanded where they hold the id of a live object of the account."""
    if not fields:
        return recs
    out = []
    for rec in recs:
        replacements = {}
        for name in fields:
            value = rec.obj.get(name)
            storage = state.data.get(BY_KEY[EXPANDABLE[name]].store_key, {})
            target = storage.get(value) if isinstance(value, str) else None
            if target is not None and target.res == EXPANDABLE[name] and not target.deleted:
                replacements[name] = target.copy()
        out.append(ExpandedRecord(rec, {**rec.obj, **replacements}) if replacements else rec)
    return out
