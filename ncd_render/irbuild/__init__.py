"""The IR builder, by job: :mod:`.names` (names and axis arithmetic), :mod:`.statements`
(statement checks), :mod:`.components` (components and repeats) and :mod:`.copies`
(copy/delete normalisation). :func:`ncd_render.ir.build` runs it."""
from __future__ import annotations

from .. import ops
from .. import parse as ast
from ..diagram import Axis, Diagram, Op, Section, Value
from ..errors import NcdError, did_you_mean
from .components import Components, check_returns
from .copies import Copies
from .names import Draft, Names, Scope
from .statements import Statements


class Builder(Names, Statements, Components, Copies):
    """Builds a :class:`~ncd_render.diagram.Diagram` from a checked program, statement by statement."""

    def __init__(self, program: ast.Program, depth: int | None, sizes: dict[str, int], toggle: frozenset = frozenset()):
        self.program = program
        self.depth = depth
        self.toggle = toggle  # (line, column) of component calls drawn the other way round from depth
        self.sizes = sizes
        self.axes: dict[str, Axis] = {}
        self.values: dict[int, Value] = {}
        self.ops: list[Draft | Op] = []  # drafts until make_copies_and_deletes numbers them
        self.sections: dict[int, Section] = {}
        self.blocks: dict[str, ast.Block] = {}
        self.inputs: list[int] = []
        self.outputs: list[int] = []
        self.stores: dict[str, int] = {}
        self.next_section = 0
        self.param_names: set[str] = set()  # every learned box's name so far, collapsed bodies included
        self.last_suffix: dict[str, int] = {}  # name -> the highest n tried for it in param_name
        self.collapsed = False  # whether a component call with ops in its body is drawn as one box
        self.tandem_names = {s.name: s.axes for s in program.statements if isinstance(s, ast.Tandem)}

    # -- entry ---------------------------------------------------------------
    def run(self) -> Diagram:
        tandems: dict[str, str] = {}
        body = []  # the statements built in order below: all but declarations, components and settings
        for s in self.program.statements:
            if isinstance(s, ast.Assign):  # most statements: first
                body.append(s)
            elif isinstance(s, ast.AxisDecl):
                self.declare_axis(s)
            elif isinstance(s, ast.Tandem):
                for a in s.axes:
                    self.axis(a, s.span)
                    if a in tandems:
                        raise NcdError(f"axis '{a}' is already in tandem group '{tandems[a]}'", s.span)
                    tandems[a] = s.name
            elif isinstance(s, ast.Block):
                if s.name in self.blocks or ops.named(s.name):
                    raise NcdError(f"component '{s.name}' is already defined", s.span)
                check_returns(s)
                self.blocks[s.name] = s
            elif not isinstance(s, (ast.Title, ast.Depth, ast.Convolutions, ast.CheckSizes)):
                body.append(s)
        for name, size in self.sizes.items():
            if name not in self.axes:
                raise NcdError(f"cannot set the size of unknown axis '{name}'", hint=did_you_mean(name, self.axes) or "axes: " + ", ".join(self.axes))
        scope = Scope({}, None, 0, {})
        self.statements(body, scope, top=True)
        if not self.outputs:
            raise NcdError("the diagram has no 'output' statement", self.program.source.span(1, 1), "end the file with e.g. 'output Y'")
        self.make_copies_and_deletes()
        return Diagram(self.program, self.axes, self.values, self.ops, self.sections,
                       tuple(self.inputs), tuple(self.outputs), tandems)
