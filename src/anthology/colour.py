"""The CMYK printing condition of the print editions, shipped with the package.

Every PDF/X edition and cover names one OutputIntent. The profile is Anthology's own (see
`profiles/README.md`), so a build needs no other package's profile; the condition it
characterizes is the registered FOGRA39, which is what the OutputIntent names.
"""

from __future__ import annotations

from pathlib import Path

PROFILES_DIR = Path(__file__).resolve().parent / "profiles"
CMYK_PROFILE = PROFILES_DIR / "FOGRA39L-coated.icc"

# The OutputIntent's names for it, from the ICC's registry of characterized printing conditions.
CONDITION = "FOGRA39"
CONDITION_INFO = "Coated FOGRA39 (ISO 12647-2:2004)"
REGISTRY = "http://www.color.org"
