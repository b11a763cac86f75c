//! Word lists the demo catalog builds its names, descriptions and filler from.
//!
//! Each entry that appears inside HTML comes as a `(html, text)` pair: the
//! markup the page carries (with entities such as `&amp;` or `&eacute;`, or raw
//! UTF-8) and the decoded text a correct extractor must produce from it. Keeping
//! both side by side is what lets `expected_products` state decoded values
//! without a general-purpose HTML decoder in the generator.

/// A piece of page text: how it is written in the HTML and what it decodes to.
pub(super) type Phrase = (&'static str, &'static str);

/// One product family: its URL slug, its display name and the nouns its
/// product names end with.
pub(super) struct CategoryWords {
    pub(super) slug: &'static str,
    pub(super) display: Phrase,
    pub(super) nouns: &'static [Phrase],
}

/// Base categories. Catalogs with more categories reuse them with a numeric
/// suffix (`lighting-2`), so any `categories` count works.
pub(super) const CATEGORIES: &[CategoryWords] = &[
    CategoryWords {
        slug: "lighting",
        display: ("Lighting", "Lighting"),
        nouns: &[
            ("Desk Lamp", "Desk Lamp"),
            ("Floor Lamp", "Floor Lamp"),
            ("Pendant Light", "Pendant Light"),
            ("Wall Sconce", "Wall Sconce"),
            ("Lantern", "Lantern"),
            ("Reading Light", "Reading Light"),
        ],
    },
    CategoryWords {
        slug: "kitchen",
        display: ("Kitchen", "Kitchen"),
        nouns: &[
            ("Cutting Board", "Cutting Board"),
            ("Tea Kettle", "Tea Kettle"),
            ("Salad Bowl", "Salad Bowl"),
            ("Knife Block", "Knife Block"),
            ("Salt &amp; Pepper Mill", "Salt & Pepper Mill"),
            ("Spice Rack", "Spice Rack"),
        ],
    },
    CategoryWords {
        slug: "garden",
        display: ("Garden", "Garden"),
        nouns: &[
            ("Planter", "Planter"),
            ("Watering Can", "Watering Can"),
            ("Bird Feeder", "Bird Feeder"),
            ("Garden Bench", "Garden Bench"),
            ("Trellis", "Trellis"),
            ("Seed Tray", "Seed Tray"),
        ],
    },
    CategoryWords {
        slug: "office",
        display: ("Office", "Office"),
        nouns: &[
            ("Desk Organizer", "Desk Organizer"),
            ("Monitor Stand", "Monitor Stand"),
            ("Pen Holder", "Pen Holder"),
            ("Filing Box", "Filing Box"),
            ("Bookend Set", "Bookend Set"),
            ("Notebook", "Notebook"),
        ],
    },
    CategoryWords {
        slug: "bath",
        display: ("Bath &amp; Body", "Bath & Body"),
        nouns: &[
            ("Soap Dish", "Soap Dish"),
            ("Towel Rail", "Towel Rail"),
            ("Bath Mat", "Bath Mat"),
            ("Toothbrush Cup", "Toothbrush Cup"),
            ("Shaving Mirror", "Shaving Mirror"),
            ("Laundry Basket", "Laundry Basket"),
        ],
    },
    CategoryWords {
        slug: "tableware",
        display: ("Tableware", "Tableware"),
        nouns: &[
            ("Dinner Plate", "Dinner Plate"),
            ("Serving Tray", "Serving Tray"),
            ("Espresso &quot;Doppio&quot; Cup", "Espresso \"Doppio\" Cup"),
            ("Water Carafe", "Water Carafe"),
            ("Wine Glass", "Wine Glass"),
            ("Butter Dish", "Butter Dish"),
        ],
    },
    CategoryWords {
        slug: "storage",
        display: ("Storage", "Storage"),
        nouns: &[
            ("Shelf", "Shelf"),
            ("Storage Crate", "Storage Crate"),
            ("Coat Rack", "Coat Rack"),
            ("Shoe Cabinet", "Shoe Cabinet"),
            ("Wall Hook", "Wall Hook"),
            ("Trunk", "Trunk"),
        ],
    },
    CategoryWords {
        slug: "textiles",
        display: ("Textiles", "Textiles"),
        nouns: &[
            ("Throw Blanket", "Throw Blanket"),
            ("Cushion Cover", "Cushion Cover"),
            ("Table Runner", "Table Runner"),
            ("Curtain", "Curtain"),
            ("Rug", "Rug"),
            ("Tea Towel", "Tea Towel"),
        ],
    },
    CategoryWords {
        slug: "decor",
        display: ("D&eacute;cor", "Décor"),
        nouns: &[
            ("Vase", "Vase"),
            ("Picture Frame", "Picture Frame"),
            ("Candle Holder", "Candle Holder"),
            ("Wall Clock", "Wall Clock"),
            ("Sculpture", "Sculpture"),
            ("Wall Mirror", "Wall Mirror"),
        ],
    },
    CategoryWords {
        slug: "outdoor",
        display: ("Outdoor", "Outdoor"),
        nouns: &[
            ("Deck Chair", "Deck Chair"),
            ("Fire Pit", "Fire Pit"),
            ("Hammock", "Hammock"),
            ("Picnic Table", "Picnic Table"),
            ("Parasol", "Parasol"),
            ("Cool Box", "Cool Box"),
        ],
    },
];

/// Optional first word of a product name. Some are written as entities and
/// some as raw UTF-8 so both decoding paths are exercised.
pub(super) const ADJECTIVES: &[Phrase] = &[
    ("Nordic", "Nordic"),
    ("Rustic", "Rustic"),
    ("Classic", "Classic"),
    ("Modern", "Modern"),
    ("Compact", "Compact"),
    ("Deluxe", "Deluxe"),
    ("Cr&egrave;me", "Crème"),
    ("Fjäll", "Fjäll"),
    ("Vintage", "Vintage"),
    ("Minimal", "Minimal"),
    ("Caf&eacute;", "Café"),
    ("Urban", "Urban"),
];

/// Middle word of a product name ("Walnut Desk Lamp").
pub(super) const MATERIALS: &[&str] = &[
    "Walnut",
    "Oak",
    "Brass",
    "Copper",
    "Linen",
    "Ceramic",
    "Marble",
    "Bamboo",
    "Steel",
    "Wool",
    "Glass",
    "Cedar",
    "Rattan",
    "Terracotta",
];

/// Product tags (plain ASCII: they test list extraction, not decoding).
pub(super) const TAGS: &[&str] = &[
    "eco",
    "handmade",
    "bestseller",
    "new",
    "sale",
    "limited edition",
    "gift idea",
    "fair trade",
    "small batch",
    "made in europe",
];

/// Description sentences. Each product's description is three of them joined
/// by single spaces, inside one `<p class="description">`. They carry named,
/// decimal and hexadecimal entities, an inline element and non-ASCII text, and
/// never a newline or a double space, so "text with whitespace collapsed"
/// equals the `text` side exactly.
pub(super) const DESCRIPTION_SENTENCES: &[Phrase] = &[
    (
        "Hand-finished in our Kyoto workshop (日本) &amp; tested for twelve months.",
        "Hand-finished in our Kyoto workshop (日本) & tested for twelve months.",
    ),
    (
        "Customers call it &quot;the best thing we bought this year&quot;.",
        "Customers call it \"the best thing we bought this year\".",
    ),
    (
        "A caf&eacute; favourite since 2019, über-reliable and easy to clean.",
        "A café favourite since 2019, über-reliable and easy to clean.",
    ),
    (
        "Made with <em>real</em> care by a small team in München.",
        "Made with real care by a small team in München.",
    ),
    (
        "Weighs less than 2 kg (&lt; 4.4 lb) &amp; ships flat-packed.",
        "Weighs less than 2 kg (< 4.4 lb) & ships flat-packed.",
    ),
    (
        "Pairs well with our Cr&egrave;me collection &mdash; or on its own.",
        "Pairs well with our Crème collection — or on its own.",
    ),
    (
        "Designed in Zürich, assembled in Łódź, loved in 東京.",
        "Designed in Zürich, assembled in Łódź, loved in 東京.",
    ),
    (
        "Care: wipe with a damp cloth; avoid &#8220;harsh&#8221; cleaners.",
        "Care: wipe with a damp cloth; avoid “harsh” cleaners.",
    ),
    (
        "Quality checked &#x2713; before shipping.",
        "Quality checked ✓ before shipping.",
    ),
    (
        "Ships in 2&ndash;3 working days.",
        "Ships in 2–3 working days.",
    ),
];

/// Words of the filler paragraphs that pad pages to `target_page_bytes`.
/// Plain ASCII letters only, so filler can be cut at any byte and never looks
/// like a price, a SKU or markup.
pub(super) const FILLER_WORDS: &[&str] = &[
    "lorem",
    "ipsum",
    "dolor",
    "sit",
    "amet",
    "consectetur",
    "adipiscing",
    "elit",
    "sed",
    "do",
    "eiusmod",
    "tempor",
    "incididunt",
    "ut",
    "labore",
    "et",
    "dolore",
    "magna",
    "aliqua",
    "enim",
    "ad",
    "minim",
    "veniam",
    "quis",
    "nostrud",
    "exercitation",
    "ullamco",
    "laboris",
    "nisi",
    "aliquip",
    "ex",
    "ea",
    "commodo",
    "consequat",
    "duis",
    "aute",
    "irure",
    "in",
    "reprehenderit",
    "voluptate",
    "velit",
    "esse",
    "cillum",
    "fugiat",
    "nulla",
    "pariatur",
];

/// Months for the human-readable release date ("5 March 2024").
pub(super) const MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Small static pages linked from every footer: `(path, title, body html)`.
/// `/cart` is disallowed by robots.txt, so a polite crawl never fetches it.
pub(super) const STATIC_PAGES: &[(&str, &str, &str)] = &[
    (
        "/about",
        "About us",
        "<p>We are a small, entirely fictional shop that exists so crawlers have something to crawl.</p>",
    ),
    (
        "/contact",
        "Contact",
        "<p>Write to <a href=\"mailto:hello@shop.invalid\">hello@shop.invalid</a>; we answer within two working days.</p>",
    ),
    (
        "/cart",
        "Your cart",
        "<p>Your cart is empty. robots.txt disallows this page, so a polite crawler never sees this text.</p>",
    ),
    (
        "/shipping",
        "Shipping",
        "<p>Orders ship within three working days. Shipping is free above $50.00.</p>",
    ),
    (
        "/returns",
        "Returns",
        "<p>Return anything within 30 days for a full refund.</p>",
    ),
    (
        "/faq",
        "Frequently asked questions",
        "<p>Is any of this real? No.</p>",
    ),
    (
        "/privacy",
        "Privacy",
        "<p>We store nothing about you, because there is no you and no us.</p>",
    ),
    (
        "/terms",
        "Terms &amp; conditions",
        "<p>By reading this page you agree that it is a test fixture.</p>",
    ),
    (
        "/careers",
        "Careers",
        "<p>We are not hiring, but the crawler may be.</p>",
    ),
    (
        "/press",
        "Press",
        "<p>Press enquiries go to the contact page.</p>",
    ),
];
