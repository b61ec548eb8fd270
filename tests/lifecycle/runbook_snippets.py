"""A runbook's config snippets, applied to a stack file exactly as written.

Two forms, each meaning one thing to a reader and to these tests:

- a ```` ```diff ```` block edits the lines it shows: `-` lines go, `+` lines come, the
  others (one space in front) are context. The lines it removes and keeps must appear in
  the file once, in that order;
- a ```` ```yaml ```` block gives whole `platform:` keys, as they stand under `config:`:
  each key becomes exactly what is shown (added if absent). A fragment, such as a list
  item or a few keys of a mapping, is no whole key, and is refused.

Each section (`##` or `###`) holding snippets is one `up`: its snippets are applied
together, in order. The text of the section's ```` ```text ```` block after its
`platform diff` command is what that command prints (lines reading `...` stand for lines
left out).
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import yaml

FENCE = re.compile(r"^( *)```(\w*)\n(.*?)^\1```\n", re.DOTALL | re.MULTILINE)
HEADING = re.compile(r"^(#{2,3}) (.*)$", re.MULTILINE)


class SnippetError(AssertionError):
    """A snippet that cannot be applied as written."""


@dataclass
class Section:
    title: str
    snippets: list[tuple[str, str]] = field(default_factory=list)
    # Its `bash` commands and its snippets, as (language, text), in the order shown.
    items: list[tuple[str, str]] = field(default_factory=list)
    # What `platform diff` is shown printing after this section's edits, if anything.
    expected: list[str] = field(default_factory=list)

    @property
    def roll_back(self) -> bool:
        return self.title.lower().startswith("roll back")


def sections(page: Path) -> list[Section]:
    """The page's sections, in order, with their snippets and expected diff output. A
    `###` section under a `## Roll back` heading is part of the roll back."""
    text = page.read_text()
    found: list[Section] = []
    parent = ""
    # What comes before the first section belongs to the page's own title.
    starts = [(0, "#", text.split("\n", 1)[0].lstrip("# "))]
    starts += [(m.start(), m.group(1), m.group(2)) for m in HEADING.finditer(text)]
    for i, (start, level, heading) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else len(text)
        body = text[start:end]
        title = heading
        if level == "##":
            parent = heading
        elif level == "###" and parent.lower().startswith("roll back"):
            title = f"Roll back: {heading}"
        section = Section(title)
        after_diff = False
        for match in FENCE.finditer(body):
            # A block in a list item is indented with the item; its own indentation stays.
            indent = len(match.group(1))
            lang = match.group(2)
            content = "".join(line[indent:] for line in match.group(3).splitlines(True))
            if lang in ("diff", "yaml"):
                section.snippets.append((lang, content))
                section.items.append((lang, content))
            elif lang == "bash":
                after_diff = "platform diff" in content
                section.items += [("bash", line) for line in commands(content)]
            elif lang == "text" and after_diff:
                section.expected = content.splitlines()
        found.append(section)
    return found


def commands(block: str) -> list[str]:
    """A `bash` block's commands, without comments; a line ending in `\\` goes on."""
    joined = block.replace("\\\n", " ")
    found = [re.sub(r"\s+#.*$", "", line).strip() for line in joined.splitlines()]
    return [c for c in found if c and not c.startswith("#")]


def apply(text: str, lang: str, snippet: str) -> str:
    """The stack file ``text`` after one snippet, applied as written."""
    if lang == "diff":
        return _apply_diff(text, snippet)
    return _apply_keys(text, snippet)


def _apply_diff(text: str, snippet: str) -> str:
    lines = snippet.splitlines()
    bad = [line for line in lines if line[:1] not in (" ", "-", "+")]
    if bad:
        raise SnippetError(f"not a diff line (' ', '-' or '+' first): {bad[0]!r}")
    old = [line[1:] for line in lines if line[0] in " -"]
    new = [line[1:] for line in lines if line[0] in " +"]
    file_lines = text.splitlines()
    at = [i for i in range(len(file_lines)) if file_lines[i : i + len(old)] == old]
    if len(at) != 1:
        raise SnippetError(
            f"the diff's old lines appear {len(at)} times in the stack file, not once:\n"
            + "\n".join(old)
        )
    start = at[0]
    return "\n".join([*file_lines[:start], *new, *file_lines[start + len(old) :]]) + "\n"


def _apply_keys(text: str, snippet: str) -> str:
    try:
        keys = yaml.safe_load(snippet)
    except yaml.YAMLError as err:
        raise SnippetError(f"not YAML: {err}") from None
    if not isinstance(keys, dict) or not all(str(k).startswith("platform:") for k in keys):
        raise SnippetError(f"not whole `platform:` keys as under config:\n{snippet}")
    blocks = _key_blocks(snippet)
    for key in keys:
        text = _set_key(text, key, blocks[key])
    return text


def _key_blocks(snippet: str) -> dict[str, list[str]]:
    """Each top-level key's lines in a snippet, indented as under `config:`."""
    lines = textwrap.dedent(snippet).splitlines()
    blocks: dict[str, list[str]] = {}
    current = ""
    for line in lines:
        if line and not line[0].isspace() and not line.startswith("#"):
            current = line.split(":", 2)[0] + ":" + line.split(":", 2)[1]
            blocks[current] = []
        if current:
            blocks[current].append(f"  {line}" if line else line)
    return blocks


def _set_key(text: str, key: str, block: list[str]) -> str:
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith(f"  {key}:")), None)
    if start is None:
        return "\n".join([*lines, *block]) + "\n"
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or _indent(lines[end]) > 2):
        end += 1
    return "\n".join([*lines[:start], *block, *lines[end:]]) + "\n"


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def shown(expected: list[str], printed: list[str]) -> list[str]:
    """The expected lines (but the `...` ones) that the printed output lacks."""
    have = {line.rstrip() for line in printed}
    return [
        line
        for line in expected
        if line.strip() and line.strip() != "..." and line.rstrip() not in have
    ]
