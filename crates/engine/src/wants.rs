//! What kind of answer a question asks for, and whether an entry's answer can be one.
//!
//! "How much does the RHIT exam cost?" is about the RHIT, and the RHIT entry matches it well in
//! words and in meaning; but it asks for an amount of money, and that entry names none. Neither the
//! lexical nor the semantic stage sees the difference: both measure what a question is *about*, not
//! what it *asks*. This is the classic answer-type check of question answering: a question that asks
//! for money, a count or share, a length of time or a date is answered only from an entry whose
//! answer holds something of that kind; otherwise the advisor says the guide does not cover it and
//! offers the entry as the closest topic.
//!
//! The cues are few and deliberately narrow ("how much … cost", "how many", "how long", "when
//! did"): a question that asks for an amount without one of them is left to the other stages.

use serde::Serialize;

/// The kind of fact a question asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Wants {
    /// An amount of money: a cost, fee, price or pay ("how much does it cost", "how much do they make").
    Money,
    /// A length of time ("how long"): a span, a period, or the schooling it takes.
    Duration,
    /// A number of years, months or other units ("how many years", "how many semesters"): a span or
    /// a period itself, not a degree's name.
    Span,
    /// How often something recurs ("how often must it be renewed"): a period, not a length of study.
    Often,
    /// A number or share ("how many", "what percentage", "pass rate").
    Count,
    /// A point in time ("when did", "what year").
    Date,
    /// A way to reach or find someone: a phone number, email, postal address, headquarters or
    /// website ("what's AHIMA's phone number", "where is AAPC headquartered").
    Contact,
}

/// Words that ask for a price whatever the phrasing.
const MONEY_WORDS: &[&str] = &[
    "cost",
    "costs",
    "costing",
    "fee",
    "fees",
    "price",
    "prices",
    "priced",
    "pricing",
    "tuition",
    "dues",
    "expensive",
    "cheap",
    "cheaper",
    "cheapest",
    "afford",
    "affordable",
    "charge",
    "charges",
];

/// After "how much", words that make it a question about pay.
const PAY_WORDS: &[&str] = &[
    "make", "makes", "making", "earn", "earns", "earning", "paid", "pay", "pays", "salary", "money",
];

/// Before "how much", verbs that make it a question about what matters, not for an amount.
const INFLUENCE_WORDS: &[&str] = &[
    "affect",
    "affects",
    "change",
    "changes",
    "impact",
    "impacts",
    "influence",
    "influences",
    "determine",
    "determines",
    "decide",
    "decides",
    "shape",
    "shapes",
];

/// Currency names.
const CURRENCIES: &[&str] = &[
    "dollar", "dollars", "usd", "euro", "euros", "eur", "pound", "pounds", "gbp", "yen", "rupee",
    "rupees",
];

/// Words of pay or price that make a number beside them an amount of money.
const PRICED_WORDS: &[&str] = &[
    "earn", "earns", "earned", "pay", "pays", "paid", "salary", "salaries", "wage", "wages",
    "income", "cost", "costs", "fee", "fees", "price", "prices", "tuition", "dues",
];

/// After "how much is", words that make it a question about an amount other than money.
const NOT_PRICED: &[&str] = &[
    "growth",
    "grow",
    "growing",
    "demand",
    "school",
    "schooling",
    "education",
    "training",
    "study",
    "studying",
    "experience",
    "work",
    "time",
    "math",
    "stress",
    "needed",
    "required",
    "involved",
    "known",
];

/// After "how many", units that make it a question about time.
const TIME_UNITS: &[&str] = &[
    "years",
    "months",
    "weeks",
    "days",
    "hours",
    "minutes",
    "semesters",
];

/// Number words an answer may use instead of digits.
const NUMBER_WORDS: &[&str] = &[
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "dozen",
    "dozens",
    "hundred",
    "hundreds",
    "thousand",
    "thousands",
    "million",
    "millions",
    "half",
    "percent",
];

const MONTHS: &[&str] = &[
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// Words that name a length of study or training, which answers "how long" ("an associate degree").
const STUDY_WORDS: &[&str] = &[
    "degree",
    "degrees",
    "certificate",
    "certificates",
    "diploma",
    "diplomas",
];

const UNITS: &[&str] = &[
    "year", "years", "month", "months", "week", "weeks", "day", "days", "hour", "hours",
];

/// Words that ask for a way to reach or find an organisation or person.
const CONTACT_WORDS: &[&str] = &[
    "phone",
    "telephone",
    "email",
    "emails",
    "headquarters",
    "headquartered",
    "hq",
    "website",
    "websites",
    "url",
];

/// After "contact", words that make it a request for contact details ("how do I contact them",
/// "contact info"), not "patient contact".
const CONTACT_OBJECTS: &[&str] = &[
    "info",
    "information",
    "details",
    "number",
    "them",
    "her",
    "him",
    "the",
    "ahima",
    "aapc",
    "amia",
    "himss",
];

/// Lower-cased words of a text: runs of letters and digits ("$55,560" gives "55", "560").
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// "two years", "5 months": a number of units.
fn span(w: &[String]) -> bool {
    w.windows(2).any(|p| {
        (is_number(&p[0]) || NUMBER_WORDS.contains(&p[0].as_str()))
            && UNITS.contains(&p[1].as_str())
    })
}

/// "from 2021 to 2031", "2022-32": a period.
fn period(w: &[String], text: &str) -> bool {
    w.windows(3)
        .any(|p| is_year(&p[0]) && p[1] == "to" && is_number(&p[2]))
        || text.split_whitespace().any(|t| {
            t.split_once('-')
                .is_some_and(|(a, b)| is_year(a) && is_number(b))
        })
}

/// A year such as 1928, 2021 or the 1990s' "1990" (with the decade's "s" cut off by the caller).
fn is_year(word: &str) -> bool {
    let digits = word.strip_suffix('s').unwrap_or(word);
    digits.len() == 4
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits.starts_with("19") || digits.starts_with("20") || digits.starts_with("18"))
}

fn is_number(word: &str) -> bool {
    word.bytes().next().is_some_and(|b| b.is_ascii_digit())
}

impl Wants {
    /// The kind of answer a question asks for, when its wording says so.
    pub fn of(question: &str) -> Option<Wants> {
        let w = words(question);
        let has = |list: &[&str]| w.iter().any(|x| list.contains(&x.as_str()));
        // The position of each two-word phrase, and what follows it.
        let after = |a: &str, b: &str| -> Option<&[String]> {
            w.windows(2)
                .position(|p| p[0] == a && p[1] == b)
                .map(|i| &w[i + 2..])
        };
        if has(MONEY_WORDS) {
            return Some(Wants::Money);
        }
        // "does location affect how much HITs earn" asks whether something matters, not for an
        // amount.
        let indirect = w
            .windows(3)
            .any(|p| p[1] == "how" && p[2] == "much" && INFLUENCE_WORDS.contains(&p[0].as_str()));
        if let Some(rest) = after("how", "much").filter(|_| !indirect) {
            if rest.iter().any(|x| PAY_WORDS.contains(&x.as_str())) {
                return Some(Wants::Money);
            }
            // "how much is a membership", not "how much is the field growing".
            let priced = rest.first().is_some_and(|x| x == "is" || x == "are")
                && !rest.iter().any(|x| NOT_PRICED.contains(&x.as_str()));
            if priced {
                return Some(Wants::Money);
            }
        }
        if after("how", "often").is_some() {
            return Some(Wants::Often);
        }
        if after("how", "long").is_some() {
            return Some(Wants::Duration);
        }
        if let Some(rest) = after("how", "many") {
            if rest
                .first()
                .is_some_and(|x| TIME_UNITS.contains(&x.as_str()))
            {
                return Some(Wants::Span);
            }
            return Some(Wants::Count);
        }
        let share = w
            .iter()
            .any(|x| x.starts_with("percent") || x == "score" || x == "scores")
            || after("pass", "rate").is_some()
            || after("number", "of").is_some();
        if share {
            return Some(Wants::Count);
        }
        // "what's their mailing address", "the address of AHIMA", "how do I contact her".
        let contact = has(CONTACT_WORDS)
            || after("e", "mail").is_some()
            || w.windows(2).any(|p| {
                (p[1] == "address"
                    && matches!(
                        p[0].as_str(),
                        "mailing" | "postal" | "street" | "office" | "their" | "its" | "s" | "the"
                    ))
                    || (p[0] == "contact" && CONTACT_OBJECTS.contains(&p[1].as_str()))
            });
        if contact {
            return Some(Wants::Contact);
        }
        if after("what", "year").is_some() || after("what", "date").is_some() {
            return Some(Wants::Date);
        }
        // "when did records go digital", "so when was it founded"; not "when I finish school".
        if let Some(i) = w.iter().position(|x| x == "when") {
            let verb = w.get(i + 1).map(String::as_str);
            if matches!(
                verb,
                Some("is" | "was" | "does" | "did" | "will" | "are" | "were" | "do")
            ) {
                return Some(Wants::Date);
            }
        }
        None
    }

    /// Whether a text (an entry's answer) holds a fact of this kind.
    pub fn held_by(self, text: &str) -> bool {
        let w = words(text);
        let has = |list: &[&str]| w.iter().any(|x| list.contains(&x.as_str()));
        match self {
            Wants::Money => {
                // A currency sign or name, or an amount beside a word of pay or price ("earn 12,345
                // zorkmids"): knowledge in any currency holds money.
                let amount = w.iter().any(|x| is_number(x) && !is_year(x));
                text.contains(['$', '€', '£', '¥', '₹'])
                    || has(CURRENCIES)
                    || (amount && has(PRICED_WORDS))
            }
            Wants::Count => {
                text.contains('%')
                    || has(NUMBER_WORDS)
                    || w.iter().any(|x| is_number(x) && !is_year(x))
            }
            Wants::Duration => span(&w) || period(&w, text) || has(STUDY_WORDS),
            Wants::Span => span(&w) || period(&w, text),
            Wants::Often => {
                // "every two years", "renewed annually", "30 hours per cycle"; not "an associate
                // degree", which is how long study takes, not how often anything recurs.
                span(&w)
                    || has(&[
                        "every",
                        "annually",
                        "annual",
                        "yearly",
                        "monthly",
                        "weekly",
                        "daily",
                        "often",
                        "cycle",
                        "periodically",
                        "regularly",
                    ])
            }
            Wants::Contact => {
                // An email or web address, a phone number's digit groups, or where it is based.
                let phone = text.split_whitespace().any(|t| {
                    let groups: Vec<&str> = t.split(['-', '.', '(', ')']).collect();
                    groups.len() >= 3 && groups.iter().filter(|g| is_number(g)).count() >= 3
                });
                let web = text.split_whitespace().any(|t| {
                    let t = t.trim_end_matches(['.', ',', ')', ';']);
                    t.contains('@')
                        || t.starts_with("http")
                        || t.starts_with("www.")
                        || [".org", ".gov", ".com", ".edu", ".net"]
                            .iter()
                            .any(|d| t.ends_with(d))
                });
                phone
                    || web
                    || has(&["headquarters", "headquartered", "phone", "email", "address"])
                    || w.windows(2).any(|p| p[0] == "based" && p[1] == "in")
            }
            Wants::Date => {
                w.iter().any(|x| is_year(x))
                    || has(MONTHS)
                    || has(&["century", "millennium", "decade", "decades"])
            }
        }
    }

    /// What the question asks for, in words (for `hitbot ask --explain`).
    pub fn describe(self) -> &'static str {
        match self {
            Wants::Money => "an amount of money",
            Wants::Duration => "a length of time",
            Wants::Span => "a number of years, months or other units",
            Wants::Often => "how often something recurs",
            Wants::Count => "a number or share",
            Wants::Date => "a date",
            Wants::Contact => "contact details (a phone, email, address or website)",
        }
    }

    /// Every kind, for precomputing what each entry holds.
    pub const ALL: [Wants; 7] = [
        Wants::Money,
        Wants::Duration,
        Wants::Span,
        Wants::Often,
        Wants::Count,
        Wants::Date,
        Wants::Contact,
    ];

    /// This kind's bit in a mask of kinds.
    pub fn bit(self) -> u8 {
        1 << (self as u8)
    }

    /// The mask of the kinds a text holds.
    pub fn mask_of(text: &str) -> u8 {
        Wants::ALL
            .iter()
            .filter(|k| k.held_by(text))
            .fold(0, |m, k| m | k.bit())
    }
}

/// Details the guide is silent on (`scope.toml` `details`): each a list of the words and phrases
/// that ask about it. A question that uses one is about that detail, and only an entry whose
/// answer uses one of the same words speaks to it ("can HITs work from home": the work-settings
/// entry names no remote work, so the guide does not cover it).
#[derive(Debug, Clone, Default)]
pub struct Details {
    /// Per detail, its ways of asking, as lower-cased words.
    ways: Vec<Vec<Vec<String>>>,
}

impl Details {
    pub fn new(details: &[Vec<String>]) -> Details {
        Details {
            ways: details
                .iter()
                .map(|d| {
                    d.iter()
                        .map(|w| words(w))
                        .filter(|w| !w.is_empty())
                        .collect()
                })
                .collect(),
        }
    }

    /// The details (indices) a text mentions.
    pub fn in_text(&self, text: &str) -> Vec<usize> {
        let w = words(text);
        (0..self.ways.len())
            .filter(|&d| self.ways[d].iter().any(|way| mentions(&w, way)))
            .collect()
    }

    /// A detail's first way of asking, to name it (for `hitbot ask --explain`).
    pub fn name(&self, detail: usize) -> String {
        self.ways
            .get(detail)
            .and_then(|d| d.first())
            .map(|w| w.join(" "))
            .unwrap_or_default()
    }
}

/// Whether the words `w` hold `way` as a phrase. A single word of five letters or more also
/// matches its longer forms ("remote" → "remotely", "internship" → "internships").
fn mentions(w: &[String], way: &[String]) -> bool {
    match way {
        [one] if one.len() >= 5 => w.iter().any(|x| x.starts_with(one.as_str())),
        _ => w.windows(way.len()).any(|p| p == way),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_that_ask_for_a_kind_of_fact() {
        let cases = [
            (
                "what's the price of sitting the credential test",
                Some(Wants::Money),
            ),
            ("how much would a HIT get paid in Ohio", Some(Wants::Money)),
            ("how much do they make", Some(Wants::Money)),
            ("how much school do I need", None),
            ("how much is a student membership", Some(Wants::Money)),
            ("how much is the field growing", None),
            ("does where you live affect how much HITs earn", None),
            ("what changes how much a HIT makes", None),
            ("how long is the program", Some(Wants::Duration)),
            (
                "how often must the credential be renewed",
                Some(Wants::Often),
            ),
            ("what score passes the test", Some(Wants::Count)),
            ("how many weeks does training take", Some(Wants::Span)),
            ("how many people hold the credential", Some(Wants::Count)),
            ("what percentage of candidates pass", Some(Wants::Count)),
            ("when was the association founded", Some(Wants::Date)),
            ("ok so when did records go electronic", Some(Wants::Date)),
            ("what does a HIT do", None),
            ("is the pay good", None),
            ("When I finish school, what jobs are there?", None),
            (
                "whats the phone number for the association",
                Some(Wants::Contact),
            ),
            ("where is the society headquartered", Some(Wants::Contact)),
            ("what's their mailing address", Some(Wants::Contact)),
            ("how do i contact the author", Some(Wants::Contact)),
            ("is there a lot of patient contact", None),
            ("how do HITs address privacy risks", None),
        ];
        for (q, want) in cases {
            assert_eq!(Wants::of(q), want, "{q}");
        }
    }

    #[test]
    fn answers_that_hold_a_kind_of_fact() {
        let pay = "The median was $55,560 in 2021, with 17% growth from 2021 to 2031.";
        assert!(Wants::Money.held_by(pay));
        assert!(Wants::Count.held_by(pay));
        assert!(Wants::Date.held_by(pay));
        assert!(Wants::Duration.held_by(pay));
        assert!(Wants::Money.held_by("Zookeepers earn 12,345 zorkmids a year."));
        assert!(Wants::Money.held_by("About €30,000."));
        assert!(!Wants::Money.held_by("Pay depends on the state; 2021 data."));
        let founded = "The association traces its roots to 1928 and took its name in 1991.";
        assert!(!Wants::Money.held_by(founded));
        // Years are dates, not counts.
        assert!(!Wants::Count.held_by(founded));
        assert!(Wants::Date.held_by(founded));
        let digital = "Records began moving to electronic systems in the 1990s.";
        assert!(Wants::Date.held_by(digital));
        let rules = "Candidates need an accredited associate program and must pass a written exam.";
        assert!(!Wants::Money.held_by(rules));
        assert!(!Wants::Count.held_by(rules));
        assert!(!Wants::Date.held_by(rules));
        assert!(Wants::Duration.held_by("It takes two years of study."));
        assert!(Wants::Duration.held_by("Most enter with an associate degree."));
        assert!(!Wants::Duration.held_by("Employers value attention to detail."));
        // "How many years" wants the number itself, not the name of a degree.
        assert!(Wants::Span.held_by("It takes two years of study."));
        assert!(Wants::Span.held_by("growth from 2021 to 2031"));
        assert!(!Wants::Span.held_by("Most enter with an associate degree."));
        // How often: a period, not a length of study.
        assert!(!Wants::Often.held_by("Most enter with an associate degree."));
        assert!(Wants::Often.held_by("The credential is renewed every two years."));
        assert!(Wants::Often.held_by("Members earn 30 hours of credits each cycle."));
    }

    #[test]
    fn contact_details_are_addresses_numbers_and_places() {
        assert!(Wants::Contact.held_by("Call 312-233-1100 or write to info@example.org."));
        assert!(Wants::Contact.held_by("See healthit.gov for the office's work."));
        assert!(Wants::Contact.held_by("The society is headquartered in Chicago."));
        assert!(
            !Wants::Contact.held_by("The association was founded in 1928 and has 100,000 members.")
        );
        assert!(!Wants::Contact.held_by("Salaries ran from $30,000 to $70,000 in 2021."));
    }

    #[test]
    fn details_match_as_phrases_and_longer_forms() {
        let d = Details::new(&[
            vec!["remote".into(), "work from home".into(), "wfh".into()],
            vec!["union".into()],
        ]);
        assert_eq!(d.in_text("Can HITs work from home?"), [0]);
        assert_eq!(d.in_text("is it remotely possible"), [0]);
        assert_eq!(d.in_text("WFH ok? and unions?"), [0, 1]);
        assert!(d
            .in_text("they work at home health agencies; reunion")
            .is_empty());
        assert_eq!(d.name(0), "remote");
    }

    #[test]
    fn masks_hold_each_kind_held() {
        let m = Wants::mask_of("It costs $100 and takes 3 weeks.");
        assert!(m & Wants::Money.bit() != 0);
        assert!(m & Wants::Duration.bit() != 0);
        assert!(m & Wants::Date.bit() == 0);
    }
}
