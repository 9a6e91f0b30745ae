"""Frozen records made (:func:`record`) and copied with some fields changed (:func:`replaced`) cheaply:
the hot paths make one per box, wire or label.

``dataclasses.replace`` calls the class's ``__init__`` again, checking and converting every field;
the IR's and the scene's records are frozen dataclasses with no ``__post_init__``, so copying their
fields straight into a new instance gives the same record at a fifth of the cost. The IR builder
renumbers every op once, and the layout moves every scene item at least once.

>>> from dataclasses import dataclass
>>> @dataclass(frozen=True)
... class Point:
...     x: float
...     y: float
>>> replaced(Point(1.0, 2.0), y=5.0)
Point(x=1.0, y=5.0)
"""
from __future__ import annotations

from dataclasses import MISSING, dataclass, fields


def replaced(record, **changes):
    """``dataclasses.replace(record, **changes)`` for a frozen record without ``__post_init__``."""
    copy = object.__new__(type(record))
    fields = copy.__dict__
    fields.update(record.__dict__)
    fields.update(changes)
    return copy


def record(cls=None, /, *, slots: bool = False):
    """``@dataclass(frozen=True, slots=slots)`` whose ``__init__`` writes each field straight into the
    new instance (its ``__dict__``, or its slots through their descriptors): dataclass's calls
    ``object.__setattr__`` once a field (frozen records forbid plain assignment), three times slower
    for a record of a dozen fields, and a layout makes one per wire, box and label. Still frozen:
    assigning a field afterwards raises. Defaults, default factories, fields left out of
    ``__init__``, keyword-only fields and ``__post_init__`` work as in dataclass.

    >>> from dataclasses import field
    >>> @record
    ... class Label:
    ...     text: str
    ...     size: float = 9.0
    ...     runs: list = field(default_factory=list)
    >>> Label("m"), Label("k", size=7.0) == Label("k", 7.0, [])
    (Label(text='m', size=9.0, runs=[]), True)
    >>> Label("m").size = 8.0
    Traceback (most recent call last):
    dataclasses.FrozenInstanceError: cannot assign to field 'size'
    >>> @record(slots=True)
    ... class Point:
    ...     x: float
    ...     y: float = 0.0
    >>> Point(1.0), hasattr(Point(1.0), "__dict__")
    (Point(x=1.0, y=0.0), False)
    """
    if cls is None:
        return lambda cls: record(cls, slots=slots)
    if "__init__" in cls.__dict__:
        raise TypeError(f"record {cls.__name__}: a record's __init__ is made from its fields")
    cls = dataclass(frozen=True, slots=slots, init=False)(cls)
    if len(fields(cls)) != len(cls.__dataclass_fields__):  # an InitVar (or a ClassVar), which this __init__ does not take
        raise TypeError(f"record {cls.__name__}: every field of a record is a plain field")
    cls.__init__ = _direct_init(cls, slots)
    return cls


def _direct_init(cls, slots: bool):
    """An ``__init__`` for the frozen dataclass ``cls`` that fills its ``__dict__`` (or its ``slots``) in field order."""
    names: dict = {"_MISSING": MISSING}
    params, keywords, body = [], [], [] if slots else ["    d = self.__dict__"]
    for f in fields(cls):
        if f.default is not MISSING:
            names[f"_d_{f.name}"] = f.default
            value, default = f.name, f"_d_{f.name}"
        elif f.default_factory is not MISSING:
            names[f"_f_{f.name}"] = f.default_factory
            value, default = f"_f_{f.name}() if {f.name} is _MISSING else {f.name}", "_MISSING"
        else:
            value, default = f.name, None
        if not f.init:
            value = f"_f_{f.name}()" if f.default is MISSING else f"_d_{f.name}"
        else:
            (keywords if f.kw_only else params).append(f.name if default is None else f"{f.name}={default}")
        if slots:
            names[f"_s_{f.name}"] = cls.__dict__[f.name].__set__
            body.append(f"    _s_{f.name}(self, {value})")
        else:
            body.append(f"    d[{f.name!r}] = {value}")
    if hasattr(cls, "__post_init__"):
        body.append("    self.__post_init__()")
    signature = ", ".join(["self", *params, *(["*", *keywords] if keywords else [])])
    exec(f"def __init__({signature}):\n" + "\n".join(body or ["    pass"]), names)
    init = names["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    return init
