"""The torch side branch of the IR: run, write out, and check diagrams.

Only this package imports torch and einops; parsing, layout and rendering
stay torch-free.

* :func:`compile.compile_diagram`: a diagram as an ``nn.Module``;
* :func:`codegen.generate`: readable PyTorch source for a diagram (``ncd compile``);
* :func:`check.check_file`: a diagram against a reference implementation (``ncd check``).
"""
