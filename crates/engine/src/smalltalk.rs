//! Chat that is not a question: greetings, thanks, goodbyes and questions to the bot about itself
//! ("who are you?"). A message that is only one of these gets a friendly reply instead of a search
//! (which would match "time" in "what time is it" or "name" in "what's your name" to some entry).
//! Such replies are not answers: they carry no entry and are not confident, so the operator store does
//! not count them as unanswered questions and evaluation counts them as declines. Pure.

/// What kind of small talk a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SmallTalk {
    Greeting,
    Thanks,
    Goodbye,
    /// Questions to the bot about itself: who or what it is, what it can do.
    AboutBot,
}

const GREETINGS: &[&str] = &[
    "hi",
    "hii",
    "hello",
    "helo",
    "hey",
    "heya",
    "hiya",
    "howdy",
    "yo",
    "hola",
    "greetings",
    "hi there",
    "hello there",
    "hey there",
    "good morning",
    "good afternoon",
    "good evening",
    "morning",
    "sup",
    "whats up",
    "wassup",
    "whatsup",
    "what up",
    "wazzup",
    "whats good",
    "hows it going",
    "how is it going",
    "hey hey",
];

const THANKS: &[&str] = &[
    "thanks",
    "thank you",
    "thankyou",
    "thx",
    "thanx",
    "ty",
    "tysm",
    "cheers",
    "thanks a lot",
    "thanks so much",
    "thank you so much",
    "thank you very much",
    "many thanks",
    "much appreciated",
    "appreciate it",
    "i appreciate it",
    "great thanks",
    "ok thanks",
    "ok thank you",
    "okay thanks",
    "awesome thanks",
    "perfect thanks",
    "cool thanks",
    "nice thanks",
    "thanks that helps",
    "that helps",
    "that helped",
    "helpful thanks",
];

const GOODBYES: &[&str] = &[
    "bye",
    "bye bye",
    "goodbye",
    "good bye",
    "see you",
    "see ya",
    "cya",
    "later",
    "good night",
    "goodnight",
    "ttyl",
];

const ABOUT_BOT: &[&str] = &[
    "who are you",
    "what are you",
    "whats your name",
    "what is your name",
    "your name",
    "who made you",
    "who built you",
    "who created you",
    "who programmed you",
    "are you a bot",
    "are you a robot",
    "are you human",
    "are you a human",
    "are you a person",
    "are you a real person",
    "are you real",
    "are you ai",
    "are you an ai",
    "are you chatgpt",
    "is this a bot",
    "am i talking to a bot",
    "am i talking to a person",
    "am i talking to a human",
    "what can you do",
    "what can you help with",
    "what can you help me with",
    "how can you help",
    "how can you help me",
    "what do you know",
    "what can i ask",
    "what can i ask you",
    "what should i ask",
    "help",
    "help me",
    "how does this work",
    "how do i use this",
    "how are you",
    "how are you doing",
    "how old are you",
];

/// Words of a message, lower-cased, letters and digits only ("What's up?!" → "whats up").
fn normalise(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    for word in message.split_whitespace() {
        let word: String = word
            .chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect();
        if word.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&word);
    }
    out
}

/// Words that may stand around small talk without making it a question ("hi bot", "thanks again").
const FILLER: &[&str] = &[
    "bot", "hitbot", "again", "so", "much", "there", "man", "buddy",
];

/// The kind of small talk `message` is, when it is nothing else.
pub fn recognise(message: &str) -> Option<SmallTalk> {
    if message.len() > 60 {
        return None;
    }
    let text = normalise(message);
    let text = text.trim_start_matches("ok ").trim_start_matches("oh ");
    let lists = [
        (SmallTalk::Greeting, GREETINGS),
        (SmallTalk::Thanks, THANKS),
        (SmallTalk::Goodbye, GOODBYES),
        (SmallTalk::AboutBot, ABOUT_BOT),
    ];
    let find = |text: &str| {
        lists
            .iter()
            .find(|(_, phrases)| phrases.contains(&text))
            .map(|(kind, _)| *kind)
    };
    if let Some(kind) = find(text) {
        return Some(kind);
    }
    // Without trailing or leading filler: "hi bot", "thanks again", "hey there buddy".
    let words: Vec<&str> = text.split(' ').collect();
    let start = words.iter().take_while(|w| FILLER.contains(w)).count();
    let end = words.len()
        - words
            .iter()
            .rev()
            .take_while(|w| FILLER.contains(w))
            .count();
    if start < end && (start > 0 || end < words.len()) {
        if let Some(kind) = find(&words[start..end].join(" ")) {
            return Some(kind);
        }
    }
    combined(&words, &find)
}

/// Most small-talk phrases in one message ("hey, what's up", "hi, how are you?").
const MAX_PHRASES: usize = 3;

/// A message made of a few small-talk phrases and filler: "hey whats up" (a greeting), "hi who are
/// you" (about the bot), "ok thanks bye" (a goodbye). A question to the bot wins; otherwise the last
/// phrase says what the message is.
fn combined(words: &[&str], find: &dyn Fn(&str) -> Option<SmallTalk>) -> Option<SmallTalk> {
    // best[i]: the phrases covering words[..i], fewest first.
    let mut best: Vec<Option<Vec<SmallTalk>>> = vec![None; words.len() + 1];
    best[0] = Some(Vec::new());
    for end in 1..=words.len() {
        for start in end.saturating_sub(5)..end {
            let Some(before) = best[start].clone() else {
                continue;
            };
            let piece = &words[start..end];
            let mut kinds = before;
            if piece.len() == 1 && FILLER.contains(&piece[0]) {
                // filler adds no phrase
            } else if let Some(kind) = find(&piece.join(" ")) {
                kinds.push(kind);
            } else {
                continue;
            }
            if best[end].as_ref().is_none_or(|b| kinds.len() < b.len()) {
                best[end] = Some(kinds);
            }
        }
    }
    let kinds = best[words.len()].take()?;
    if kinds.is_empty() || kinds.len() > MAX_PHRASES {
        return None;
    }
    if kinds.contains(&SmallTalk::AboutBot) {
        return Some(SmallTalk::AboutBot);
    }
    kinds.last().copied()
}

impl SmallTalk {
    /// The reply, in plain text (front ends add the topic menu).
    pub fn reply(self) -> &'static str {
        match self {
            SmallTalk::Greeting => {
                "Hi! 👋 I answer questions about careers as a health information technician (HIT): \
                 what the job is, skills, salary and job outlook, education and the RHIT credential, \
                 career paths, and professional organizations. Ask me in your own words, or pick a topic."
            }
            SmallTalk::Thanks => {
                "You're welcome! Ask me anything else about careers as a health information \
                 technician, or pick a topic."
            }
            SmallTalk::Goodbye => {
                "Bye, and good luck with your career plans! Come back any time you have a question \
                 about health information technicians."
            }
            SmallTalk::AboutBot => {
                "I'm hitbot, a bot (not a person) that answers questions about careers as a health \
                 information technician (HIT). My answers come from the computerscience.org guide \
                 \"What Is a Health Information Technician?\" and the Bureau of Labor Statistics. \
                 Ask me what HITs do, the skills they need, salary and job outlook, education and \
                 the RHIT credential, career paths, or professional organizations."
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_messages_of_small_talk_are_recognised() {
        for (message, kind) in [
            ("hi", SmallTalk::Greeting),
            ("Hello there!", SmallTalk::Greeting),
            ("hey bot", SmallTalk::Greeting),
            ("What's up?", SmallTalk::Greeting),
            ("thanks!!", SmallTalk::Thanks),
            ("Thank you so much 🙏", SmallTalk::Thanks),
            ("ok thanks", SmallTalk::Thanks),
            ("thanks again", SmallTalk::Thanks),
            ("bye", SmallTalk::Goodbye),
            ("Who are you?", SmallTalk::AboutBot),
            ("what's your name", SmallTalk::AboutBot),
            ("are you a robot?", SmallTalk::AboutBot),
            ("what can you do", SmallTalk::AboutBot),
            ("HELP", SmallTalk::AboutBot),
            ("hey whats up", SmallTalk::Greeting),
            ("Hi, how's it going?", SmallTalk::Greeting),
            ("hello! good morning", SmallTalk::Greeting),
            ("hi, who are you?", SmallTalk::AboutBot),
            ("hey there, what can you do?", SmallTalk::AboutBot),
            ("ok thanks, bye", SmallTalk::Goodbye),
            ("thanks bot, bye!", SmallTalk::Goodbye),
        ] {
            assert_eq!(recognise(message), Some(kind), "{message:?}");
        }
    }

    #[test]
    fn questions_are_not_small_talk() {
        for message in [
            "hi, how much do HITs make?",
            "thanks, and what about the RHIT?",
            "what do HITs do",
            "who are the reviewers",
            "help me find a job as a HIT",
            "what time is it",
            "hey whats up with HIT pay",
            "hi thanks bye hello hey",
            "hello salary",
            "",
            "bot",
            "🙂",
            "hi hi hi hi hi hi hi hi hi hi hi hi hi hi hi hi hi hi hi hi hi hi hi hi hi hi hi",
        ] {
            assert_eq!(recognise(message), None, "{message:?}");
        }
    }

    #[test]
    fn replies_have_no_figures() {
        for kind in [
            SmallTalk::Greeting,
            SmallTalk::Thanks,
            SmallTalk::Goodbye,
            SmallTalk::AboutBot,
        ] {
            assert!(!kind.reply().chars().any(|c| c.is_ascii_digit()));
        }
    }
}
