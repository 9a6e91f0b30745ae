"""The page: one HTML shell, served with its script and style by ``ncd serve``, or
holding them (and every view) inline for ``ncd html`` and Jupyter.

The inline page allows only its own script and style, by their hashes, so nothing
else can run or load even when the file is opened from disk.

>>> html = standalone({"figures": {}, "hw": "a100-80gb", "dtype": "bf16"}, "a <b> & 'c'")
>>> "<title>a &lt;b&gt; &amp; &#x27;c&#x27; · ncd</title>" in html, "script-src &#x27;sha256-" in html
(True, True)
>>> standalone({"x": "</script><script>"}, "t").count("</script>")  # the data's, its two scripts' ends
3
"""
from __future__ import annotations

import base64
import hashlib
import json
from html import escape
from importlib import resources

#: the policy ``ncd serve`` sends: its own script, style and data, nothing from elsewhere
SERVED_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
                 "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")

SCRIPTS = ("roofline.js", "app.js")  # in this order: app.js draws with roofline.js

_BODY = """<header><h1 id="title">{title}</h1><span class="file" id="file"></span><span class="status" id="status">loading…</span></header>
<main>
<section id="figure-pane"><div id="figure"></div>
<div id="error" hidden><h2>The file does not compile; the last good figure stays</h2><pre id="error-text"></pre></div></section>
<aside>
<div id="controls"><h2>Hardware</h2>
<label>profile <select id="hw"></select></label><label>dtype <select id="dtype"></select></label>
<h2>Axis sizes</h2><div id="sizes"></div></div>
<div id="notes"><h2>Notes</h2><ul id="notes-list"></ul></div>
<div id="roofline"><h2>Roofline <span class="muted" id="profile"></span></h2><div id="roofline-chart"></div></div>
<div id="kernels"><h2>Kernels</h2><table><thead id="kernels-head"></thead><tbody id="kernels-body"></tbody><tfoot id="kernels-foot"></tfoot></table></div>
</aside>
</main>
<div id="tooltip" hidden></div>
"""


def asset(name: str) -> bytes:
    """The bytes of a file shipped in ``ncd_render/serve/assets`` (app.js, roofline.js, app.css)."""
    return resources.files(__package__).joinpath("assets", name).read_bytes()


def served(title: str) -> str:
    """The page ``ncd serve`` sends; its script and style come from the same server."""
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<title>{escape(title)} · ncd</title><link rel="icon" href="data:,"><link rel="stylesheet" href="app.css"></head>\n<body>'
            + _BODY.format(title=escape(title)) + '<script src="roofline.js"></script><script src="app.js"></script></body></html>\n')


def _hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def embedded_json(data) -> str:
    """JSON that can sit inside a <script> element: no '<' to end it early."""
    return json.dumps(data, separators=(",", ":"), sort_keys=True).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def standalone(data: dict, title: str) -> str:
    """One self-contained page: the views in ``data`` as JSON, the script and style inline."""
    scripts = [asset(name).decode("utf-8") for name in SCRIPTS]
    style = asset("app.css").decode("utf-8")
    policy = (f"default-src 'none'; script-src {' '.join(map(_hash, scripts))}; style-src {_hash(style)}; img-src data:; "
              "base-uri 'none'; form-action 'none'")
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{escape(policy)}">'
            f'<title>{escape(title)} · ncd</title><link rel="icon" href="data:,"><style>{style}</style></head>\n<body>'
            + _BODY.format(title=escape(title))
            + f'<script type="application/json" id="ncd-data">{embedded_json(data)}</script>\n'
            + "".join(f"<script>{script}</script>" for script in scripts) + "</body></html>\n")
