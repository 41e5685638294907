"""What a page must be for every visitor, checked on its HTML with the standard library's parser: one
`<h1>` and no skipped heading level, the landmarks (header, nav, main, footer), a label for every form
control, alt text on every image, a language, and nothing the CSP would block (inline scripts, style
attributes, event handler attributes)."""

from dataclasses import dataclass, field
from html.parser import HTMLParser

CONTROLS = {"input", "select", "textarea"}
UNLABELLED_INPUTS = {"hidden", "submit", "button", "reset", "image"}


@dataclass
class _Control:
    tag: str
    attrs: dict[str, str]
    in_label: bool


@dataclass
class PageShape:
    headings: list[int] = field(default_factory=list)
    landmarks: set[str] = field(default_factory=set)
    controls: list[_Control] = field(default_factory=list)
    label_for: set[str] = field(default_factory=set)
    images_without_alt: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)
    html_lang: str | None = None

    def problems(self) -> list[str]:
        found = []
        if self.headings.count(1) != 1:
            found.append(f"expected one h1, got {self.headings.count(1)}")
        for before, after in zip(self.headings, self.headings[1:], strict=False):
            if after > before + 1:
                found.append(f"heading level skipped: h{before} then h{after}")
        for landmark in ("header", "nav", "main", "footer"):
            if landmark not in self.landmarks:
                found.append(f"no <{landmark}>")
        for control in self.controls:
            if control.tag == "input" and control.attrs.get("type", "text") in UNLABELLED_INPUTS:
                continue
            labelled = control.in_label or control.attrs.get("id") in self.label_for \
                or control.attrs.get("aria-label") or control.attrs.get("aria-labelledby")
            if not labelled:
                found.append(f"<{control.tag} name={control.attrs.get('name')!r}> has no label")
        found += [f"<img src={src!r}> has no alt" for src in self.images_without_alt]
        found += self.csp_violations
        if not self.html_lang:
            found.append("<html> has no lang")
        return found


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.shape = PageShape()
        self.label_depth = 0

    def handle_starttag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        attrs = {k: v or "" for k, v in attrs_list}
        shape = self.shape
        if tag == "html":
            shape.html_lang = attrs.get("lang")
        if len(tag) == 2 and tag[0] == "h" and tag[1] in "123456":
            shape.headings.append(int(tag[1]))
        if tag in ("header", "nav", "main", "footer"):
            shape.landmarks.add(tag)
        if tag == "label":
            self.label_depth += 1
            if attrs.get("for"):
                shape.label_for.add(attrs["for"])
        if tag in CONTROLS:
            shape.controls.append(_Control(tag, attrs, self.label_depth > 0))
        if tag == "img" and "alt" not in attrs:
            shape.images_without_alt.append(attrs.get("src", ""))
        if tag == "script" and not attrs.get("src"):
            shape.csp_violations.append("inline <script>")
        if tag == "style":
            shape.csp_violations.append("inline <style>")
        for name in attrs:
            if name == "style" or name.startswith("on"):
                shape.csp_violations.append(f"<{tag} {name}=...>: blocked by the CSP")

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.label_depth = max(0, self.label_depth - 1)


def page_shape(html: str) -> PageShape:
    parser = _Parser()
    parser.feed(html)
    parser.close()
    return parser.shape


def page_problems(html: str) -> list[str]:
    return page_shape(html).problems()
