"""The browser view of a diagram: ``ncd serve`` (live, from a local server) and
``ncd html`` (one self-contained file), and a figure's rich display in Jupyter.

Modules, each with one job: :mod:`.view` (the data the page reads for one state of
the file), :mod:`.costdata` (the cost report and its notes as data), :mod:`.page`
(the HTML shell and its assets), :mod:`.export` (the self-contained file),
:mod:`.watch` (the watched file) and :mod:`.server` (the HTTP server); the page's
hand-written script and style are in ``assets/`` (app.js, roofline.js, app.css).
"""
