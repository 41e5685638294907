"""Is a page inert? An HTML parser walks it and reports whatever could run script or load something
active: script-capable elements, event-handler attributes, javascript:/vbscript:/data: URLs (after the
decoding a browser does), style expressions, meta refreshes. On a whole page, what our templates write
is allowed: the stylesheet link, metas without refresh, forms and disclosure widgets (their attributes
checked like any other), and scripts that are files under /static (never inline script)."""

import re
from html.parser import HTMLParser
from pathlib import Path

PAYLOADS_FILE = Path(__file__).resolve().parent.parent / "fixtures" / "xss" / "payloads.txt"
ACTIVE_ELEMENTS = frozenset({
    "script", "iframe", "frame", "frameset", "object", "embed", "applet", "svg", "math", "base", "style", "isindex",
    "xmp", "noscript", "template", "portal", "video", "audio", "source", "track", "marquee", "details", "dialog",
})
# Our own pages have forms (search) and disclosure widgets; in content (what the sanitizer lets through)
# a form is a phishing tool, and neither has any business there.
PAGE_ELEMENTS = frozenset({"form", "input", "button", "textarea", "select", "option", "label", "fieldset",
                           "details", "dialog"})
# Our own scripts: files under /static (CSP `script-src 'self'`), never inline.
OWN_SCRIPT = re.compile(r"/static/[\w.-]+\.js")
URL_ATTRIBUTES = frozenset({
    "href", "src", "action", "formaction", "xlink:href", "data", "poster", "background", "cite", "ping",
    "lowsrc", "dynsrc", "codebase", "manifest", "longdesc", "srcset", "usemap", "icon", "profile",
})
SAFE_SCHEMES = ("http:", "https:", "mailto:")
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*:")
_INVISIBLE = re.compile(r"[\x00-\x20\x7f]+")
_STYLE_ATTACKS = re.compile(r"expression\s*\(|javascript:|vbscript:|-moz-binding|behavior\s*:|@import", re.I)


def payloads() -> list[str]:
    return [line for line in PAYLOADS_FILE.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]


def _url_is_safe(value: str) -> bool:
    """Relative URLs and http(s)/mailto only, as a browser reads the value: it strips control characters
    and spaces around it and tabs and newlines inside it (we strip every control character and space)."""
    scheme = _SCHEME.match(_INVISIBLE.sub("", value).lower())
    return scheme is None or scheme.group(0) in SAFE_SCHEMES


class _Inspector(HTMLParser):
    def __init__(self, page: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.problems: list[str] = []
        self.own_scripts = 0
        self.in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        where = f"<{tag} {' '.join(f'{k}={v!r}' for k, v in attrs)}>"
        values = {k: v or "" for k, v in attrs}
        own_script = (self.page and tag == "script" and OWN_SCRIPT.fullmatch(values.get("src", "")) is not None
                      and set(values) <= {"src", "defer", "type"} and values.get("type", "module") == "module")
        self.in_script = tag == "script"
        self.own_scripts += own_script
        if tag in ACTIVE_ELEMENTS and not own_script and not (self.page and tag in PAGE_ELEMENTS):
            self.problems.append(f"active element {where}")
        elif tag in PAGE_ELEMENTS and not self.page:
            self.problems.append(f"active element {where}")
        if tag == "meta" and ("http-equiv" in values or "content" in values and "url=" in values["content"].lower()):
            self.problems.append(f"meta refresh {where}")
        if tag == "link" and values.get("rel", "").lower() not in ("stylesheet", "alternate", "icon", "canonical"):
            self.problems.append(f"link {where}")
        for name, value in values.items():
            if name.startswith("on"):
                self.problems.append(f"event handler {name} in {where}")
            elif name in URL_ATTRIBUTES and not _url_is_safe(value):
                self.problems.append(f"unsafe URL in {name} of {where}")
            elif name == "style" and _STYLE_ATTACKS.search(value):
                self.problems.append(f"style attack in {where}")
            elif name == "srcdoc":
                self.problems.append(f"srcdoc in {where}")

    handle_startendtag = handle_starttag

    def handle_data(self, data: str) -> None:
        if self.in_script and data.strip():
            self.problems.append(f"inline script {data[:80]!r}")

    def handle_endtag(self, tag: str) -> None:
        self.in_script = False


def active_content(html: str, *, page: bool = False) -> list[str]:
    """What in `html` could run or load script: empty when inert. A whole `page` may have forms (whose
    actions and controls are checked like everything else); a fragment of content may not."""
    inspector = _Inspector(page)
    inspector.feed(html)
    inspector.close()
    problems = inspector.problems
    if len(re.findall(r"<script", html, re.I)) > inspector.own_scripts:
        problems.append("'<script' in the markup")
    return problems
