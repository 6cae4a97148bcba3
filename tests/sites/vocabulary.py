"""Fixed word banks the generator draws from.

Kept apart from the generator so the tables are easy to scan: the special cases (non-ASCII,
``&``, quotes, ``<``) that parsers trip over are planted here on purpose.
"""

from __future__ import annotations

RATINGS: tuple[tuple[str, int, str], ...] = (
    # (name, eFiction ratingwarning bitmask, warning text)
    ("G", 0, ""),
    ("PG", 0, ""),
    ("PG-13", 0, ""),
    ("R", 1, "This story contains material that may not be suitable for younger readers."),
    ("NC-17", 2, "This story is rated NC-17. You must be 18 or older to read it."),
)

# fandom -> characters; "Law & Order" and "Pokémon" are here for escaping/encoding.
FANDOMS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Harry Potter", ("Harry Potter", "Draco Malfoy", "Hermione Granger", "Severus Snape",
                      "Luna Lovegood")),
    ("Buffy the Vampire Slayer", ("Buffy Summers", "Spike", "Willow Rosenberg", "Rupert Giles")),
    ("Star Trek: Voyager", ("Kathryn Janeway", "Chakotay", "Seven of Nine", "B'Elanna Torres")),
    ("Stargate SG-1", ("Jack O'Neill", "Daniel Jackson", "Samantha Carter", "Teal'c")),
    ("Due South", ("Benton Fraser", "Ray Kowalski", "Ray Vecchio", "Diefenbaker")),
    ("The X-Files", ("Fox Mulder", "Dana Scully", "Walter Skinner")),
    ("Law & Order", ("Lennie Briscoe", "Jack McCoy", "Olivia Benson")),
    ("Pokémon", ("Ash Ketchum", "Misty", "Brock", "Pikachu")),
    ("Lord of the Rings", ("Frodo Baggins", "Samwise Gamgee", "Éowyn", "Faramir", "Legolas")),
    ("Original Fiction", ("Original Female Character", "Original Male Character")),
)

# "Hurt/Comfort" must stay one value: a parser must not split class names on "/".
GENRES: tuple[str, ...] = ("Angst", "Drama", "Fluff", "Humor", "Romance", "Adventure",
                           "Hurt/Comfort", "Mystery")
WARNINGS: tuple[str, ...] = ("Character Death", "Violence", "Adult Themes", "Mild Language",
                             "Sexual Content")

PENNAMES: tuple[str, ...] = ("Zoë Whitlock", "moonlight_sonata", "Kai & Jun", "Ælfwine",
                             "D'Arcy Blue", "S. T. Quill", "renée", "xXShadowFoxXx",
                             "Tsukiko 月子", "The Lurker", "Mab O'Malley", "quietwren")

SPECIAL_TITLES: tuple[str, ...] = (
    "Café & Croissants",
    '"Don\'t Look Back"',
    "Less Than <3",
    "The Fox's Wedding",
    "Ñandú Summer",
    "Tea & Sympathy",
    "Déjà Vu (Again)",
    "Angels & “Demons”",
    "Naïve Hearts",
    "Über-Fluffy Friday",
)

ADJECTIVES: tuple[str, ...] = (
    "Silent", "Broken", "Golden", "Hidden", "Last", "Quiet", "Burning", "Distant", "Secret",
    "Winter", "Fading", "Restless", "Crimson", "Paper", "Hollow", "Starlit", "Borrowed", "Salt",
)
NOUNS: tuple[str, ...] = (
    "Light", "Road", "Promise", "Harbor", "Storm", "Letter", "Garden", "Echo", "Mirror", "River",
    "Lantern", "Bridge", "Song", "Shadow", "Window", "Compass", "Orchard", "Tide", "Map", "Key",
)
PLACES: tuple[str, ...] = ("Hogsmeade", "Sunnydale", "the Delta Quadrant", "Chicago",
                           "Rivendell", "Pallet Town", "the Basement Office", "Abydos")

WORDS: tuple[str, ...] = (
    "the", "a", "and", "of", "to", "in", "was", "he", "she", "they", "it", "that", "with", "for",
    "on", "as", "at", "by", "from", "had", "not", "but", "what", "all", "were", "when", "there",
    "light", "door", "hand", "window", "night", "morning", "voice", "letter", "road", "rain",
    "silence", "smile", "kitchen", "stairs", "coffee", "tea", "table", "map", "sword", "ship",
    "looked", "turned", "waited", "whispered", "laughed", "remembered", "reached", "walked",
    "slowly", "quietly", "again", "almost", "never", "always", "perhaps", "somewhere", "still",
    "warm", "cold", "bright", "tired", "careful", "strange", "small", "old", "new", "familiar",
    "café", "naïve", "façade", "déjà", "vu", "résumé", "jalapeño", "über", "smörgåsbord",
)
PUNCT_END: tuple[str, ...] = (".", ".", ".", "!", "?", "…")
SAID: tuple[str, ...] = ("she said", "he said", "they said", "someone whispered", "he admitted")
