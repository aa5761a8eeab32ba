#!/bin/sh
# Regenerates DejaVuSans-LGC.ttf, the subset of DejaVu Sans that formtool embeds in every form.
# Source: Debian's fonts-dejavu-core package (/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf).
# Tool: pyftsubset from fonttools (pip install fonttools).
# Kept: Latin (Basic, Latin-1, Extended-A and -B, Extended Additional), Greek, Cyrillic,
# general punctuation and a few symbols. Hinting is dropped: form values print at 8-10 pt.
set -eu
src=${1:-/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf}
pyftsubset "$src" \
  --unicodes="U+0020-007E,U+00A0-024F,U+0370-03FF,U+0400-052F,U+1E00-1EFF,U+2010-2027,U+2030-203A,U+20AC,U+2116,U+2122" \
  --no-hinting --desubroutinize --notdef-outline --name-IDs='*' --name-legacy \
  --layout-features='' --output-file=DejaVuSans-LGC.ttf
