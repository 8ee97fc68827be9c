"""The README keeps its promises: its two set-up commands, `quickstart.py` (shown in it verbatim)
and every ```python runnable block run against a live Easel started as `make run` starts it, each
printing what the README shows under it; and every link it makes leads somewhere.

The server is `make run`'s embedded topology with the local engines standing in for every
provider (tests/support/processes.py LiveEasel), plus EASEL_WEBHOOK_ALLOW_PRIVATE=1, which the
README's webhooks recipe tells the reader to set for its receiver on 127.0.0.1.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from PIL import Image

from tests.support.processes import ROOT, LiveEasel

README = ROOT / "README.md"
QUICKSTART = ROOT / "quickstart.py"
DOCUMENTS = [README, ROOT / "bench" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
MAKE_RUN_ORIGIN = "http://127.0.0.1:8000"
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
PROVIDER_KEYS = ("OPENAI_API_KEY", "OPENROUTER_API_KEY", "ANTHROPIC_API_KEY", "GOOGLE_API_KEY", "GEMINI_API_KEY")


@dataclass
class Block:
    heading: str  # the section it sits in
    info: str  # what follows the opening ``` ("python runnable", "sh", ...)
    code: str
    output: str | None  # the ```text block right after it, if any


def blocks(path: Path) -> list[Block]:
    """The fenced code blocks of a Markdown file, in order."""
    found: list[Block] = []
    heading, fence, lines, previous_ended = "", None, [], -2
    for number, line in enumerate(path.read_text().splitlines()):
        if fence is None and line.startswith("```"):
            fence, lines = line[3:].strip(), []
        elif fence is not None and line == "```":
            code = "\n".join(lines) + "\n"
            if fence == "text" and found and previous_ended == number - len(lines) - 3:
                found[-1].output = code
            else:
                found.append(Block(heading, fence, code, None))
            fence, previous_ended = None, number
        elif fence is not None:
            lines.append(line)
        elif line.startswith("#"):
            heading = line.lstrip("#").strip()
    return found


def headings(path: Path) -> set[str]:
    """The anchors GitHub gives a file's headings (code blocks' comment lines are not headings)."""
    text = re.sub(r"^```.*?^```$", "", path.read_text(), flags=re.MULTILINE | re.DOTALL)
    titles = re.findall(r"^#{1,6} (.+)$", text, flags=re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-") for title in titles}


def links(path: Path) -> list[str]:
    text = re.sub(r"^```.*?^```$", "", path.read_text(), flags=re.MULTILINE | re.DOTALL)
    return re.findall(r"\]\(([^)\s]+)\)", text)


RUNNABLE = [block for block in blocks(README) if block.info == "python runnable"]


@pytest.fixture(scope="module")
def make_run(tmp_path_factory) -> Iterator[LiveEasel]:
    live = LiveEasel(tmp_path_factory.mktemp("readme"), env_overrides={"EASEL_WEBHOOK_ALLOW_PRIVATE": "1"})
    yield live
    live.stop()


def run_script(script: Path, cwd: Path, **env: str) -> list[str]:
    """The script's output lines, run as the README says: the venv's python, these variables."""
    clean = {k: v for k, v in os.environ.items() if k not in (*PROVIDER_KEYS, "EASEL_URL", "EASEL_API_KEY", "PORT")}
    result = subprocess.run(
        [sys.executable, str(script)], cwd=cwd, env={**clean, **env}, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, f"{script.name} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout.splitlines()


def matches(shown: str, printed: list[str], live: LiveEasel) -> None:
    """Each printed line is the README's line, where … stands for anything and `make run`'s
    address for the live server's."""
    expected = shown.replace(MAKE_RUN_ORIGIN, live.base_url).strip("\n").splitlines()
    printed = "\n".join(printed).strip("\n").splitlines()
    assert len(printed) == len(expected), f"printed {printed}, the README shows {expected}"
    for line, pattern in zip(printed, expected, strict=True):
        assert re.fullmatch(".+?".join(map(re.escape, pattern.split("…"))), line), f"{line!r} is not {pattern!r}"


def assert_images_answer(printed: list[str]) -> None:
    """Every media URL printed answers with an image, without a key."""
    urls = [url for line in printed for url in re.findall(r"http://\S+/api/media/\S+", line)]
    for url in urls:
        response = httpx.get(url, timeout=10)
        assert response.status_code == 200, url
        assert response.headers["content-type"].startswith("image/")
        Image.open(io.BytesIO(response.content)).verify()


def test_the_readme_sets_up_with_make_run_and_make_test():
    setup = next(block for block in blocks(README) if block.heading == "Set up")
    commands = [line.split("#")[0].strip() for line in setup.code.splitlines()]

    assert setup.info == "sh"
    assert commands == ["make run", "make test"]
    assert "Two commands" in README.read_text()


def test_the_readme_shows_quickstart_py_verbatim():
    shown = [block for block in blocks(README) if block.info == "python file=quickstart.py"]

    assert len(shown) == 1
    assert shown[0].code == QUICKSTART.read_text()


def test_quickstart_prints_an_image_url_and_its_document_id(make_run, tmp_path):
    printed = run_script(QUICKSTART, tmp_path, EASEL_URL=make_run.api_url, EASEL_API_KEY=make_run.api_key)

    assert len(printed) == 2
    url, document_id = printed[0].removeprefix("url: "), printed[1].removeprefix("document_id: ")
    assert re.fullmatch(UUID, document_id)
    assert f"/api/media/{document_id}.png?" in url
    assert_images_answer([url])


def test_quickstart_needs_nothing_but_the_port_after_make_run(make_run, tmp_path):
    # What `make run` does before serving: the demo project's key, printed and kept in var/.
    demo = subprocess.run(
        [sys.executable, "manage.py", "easel_demo"],
        cwd=ROOT,
        env={**make_run.env, "PORT": str(make_run.port)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert demo.returncode == 0, demo.stderr
    shown = next(block for block in blocks(README) if block.heading == "Set up" and block.info == "text")
    matches(shown.code, demo.stdout.splitlines(), make_run)
    assert f"    {(make_run.workdir / 'demo_api_key').read_text()}\n" in demo.stdout
    # A checkout's quickstart.py beside that var/ directory, and only PORT set.
    shutil.copy(QUICKSTART, tmp_path / "quickstart.py")
    (tmp_path / "var").symlink_to(make_run.workdir)

    printed = run_script(tmp_path / "quickstart.py", tmp_path, PORT=str(make_run.port))

    shown = next(block for block in blocks(README) if block.heading == "Quickstart" and block.info == "text")
    matches(shown.code, printed, make_run)
    assert_images_answer(printed)


def test_every_runnable_block_shows_its_output():
    assert len(RUNNABLE) >= 8
    assert [block.heading for block in RUNNABLE if block.output is None] == []


@pytest.mark.parametrize("block", RUNNABLE, ids=[block.heading for block in RUNNABLE])
def test_a_runnable_block_prints_what_the_readme_shows(make_run, tmp_path, block):
    script = tmp_path / "recipe.py"
    script.write_text(block.code)

    printed = run_script(script, tmp_path, EASEL_URL=make_run.api_url, EASEL_API_KEY=make_run.api_key)

    matches(block.output, printed, make_run)
    assert_images_answer(printed)


def test_the_edit_recipe_edits_the_image_it_names(make_run, tmp_path):
    (block,) = [block for block in RUNNABLE if block.heading == "Edit an image by its document_id"]
    (tmp_path / "edit.py").write_text(block.code)

    original, edited, _url = run_script(
        tmp_path / "edit.py", tmp_path, EASEL_URL=make_run.api_url, EASEL_API_KEY=make_run.api_key
    )

    new_id, parent_id = re.fullmatch(rf"edited: ({UUID}) from ({UUID})", edited).groups()
    assert parent_id == original.removeprefix("original: ") != new_id


@pytest.mark.parametrize("document", DOCUMENTS, ids=[str(d.relative_to(ROOT)) for d in DOCUMENTS])
def test_every_relative_link_leads_to_a_file_and_heading(document):
    for link in links(document):
        if re.match(r"[a-z]+:", link):
            continue
        path, _, anchor = link.partition("#")
        target = (document.parent / path).resolve() if path else document
        assert target.exists(), f"{document.name}: {link} points at nothing"
        if anchor:
            assert anchor in headings(target), f"{document.name}: {link} names no heading of {target.name}"


def test_the_pages_the_readme_links_on_make_runs_server_answer(make_run):
    pages = sorted({link for link in links(README) if link.startswith(MAKE_RUN_ORIGIN)})

    assert f"{MAKE_RUN_ORIGIN}/api/docs" in pages
    for page in pages:
        response = httpx.get(page.replace(MAKE_RUN_ORIGIN, make_run.base_url), follow_redirects=True, timeout=10)
        assert response.status_code == 200, page
