"""An offline, deterministic image engine for local development (behind the "local" image provider).

It draws recognisable cartoon pictures with Pillow primitives only: a scene (sky gradient and
ground) chosen by words like "night" or "beach", a small vocabulary of subjects ("robot",
"sunflower", "crescent moon", ...) coloured by the colour words that qualify them and laid out
side by side, and an abstract composition when nothing in the prompt is recognised. Edits
recolour the main subject, add subjects or apply simple transforms, on the whole picture or
only where a mask allows. The same prompt, size and seed always give the same pixels, and two
seeds always give visibly different ones. No network, no Django, no model weights: the engine imports
nothing from Django, `designs` or `workers.providers` (tests/workers/test_local_engine_imports.py checks),
and its adapter, `workers.providers.local_images`, passes in anything that comes from settings.

The modules, from the bottom up: `palette` (colours), `canvas` (pen, supersampling, layout
record), `subjects` (the drawings), `prompt` (seeds, words, the parser), `scenes` (backdrops and
scenery), `placement` (where named subjects go), `abstract`, `analysis` (finding subjects in an
existing image), `edits` (edit operations and filters), `variation` (what a seed changes),
`reference` (a reference image's palette), `masked` (edits confined to a mask), `engine` (render
and edit), and for the adapter `sizes` (request sizes) and `encoding` (PNG/JPEG/WebP). Names with a leading underscore
are the package's own; what callers use is re-exported here.
"""

from __future__ import annotations

from workers.local.encoding import Output, decode, encode
from workers.local.engine import edit, preview_of, render
from workers.local.prompt import prompt_seed
from workers.local.sizes import resolve_size

__all__ = ["Output", "decode", "edit", "encode", "preview_of", "prompt_seed", "render", "resolve_size"]
