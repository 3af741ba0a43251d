//! The bot's commands: the menu set with `setMyCommands` and the `/help` list. The doc comment of
//! each variant is its description. Names are lowercase (`/start`), as Telegram requires.
//!
//! The operators' commands (`/reload`, `/stats`, `/unanswered`, `/inbox`) are [`AdminCommand`]s: not in the
//! menu or the help, and for anyone not in `[telegram] admins` just unknown commands.

use teloxide::macros::BotCommands;

#[derive(BotCommands, Clone, Debug, PartialEq, Eq)]
#[command(rename_rule = "lowercase")]
pub enum Command {
    /// Welcome and the topic menu
    Start(String),
    /// How to use this bot
    Help,
    /// What HITs earn, and the job outlook
    Salary,
    /// Skills a HIT needs
    Skills,
    /// The RHIT credential and how to get it
    Certification,
    /// The five career paths
    Careers,
    /// Compare two career paths, e.g. /compare coder analyst
    Compare(String),
    /// Professional organizations
    Organizations,
    /// Common questions
    Faq,
    /// Where the answers come from
    About,
}

/// Commands for the operators (`[telegram] admins`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminCommand {
    /// Reload the knowledge now.
    Reload,
    /// The operator report: counts, answer rate, top unanswered, most 👎.
    Stats,
    /// The most frequent questions the bot could not answer.
    Unanswered,
    /// The inbox of misses, with one-tap fixes.
    Inbox,
}

impl AdminCommand {
    /// The admin command named `name` (without `/` and `@bot`), lowercase.
    pub fn parse(name: &str) -> Option<AdminCommand> {
        match name {
            "reload" => Some(AdminCommand::Reload),
            "stats" => Some(AdminCommand::Stats),
            "unanswered" => Some(AdminCommand::Unanswered),
            "inbox" => Some(AdminCommand::Inbox),
            _ => None,
        }
    }
}

/// What an entry's message lists as buttons under the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum More {
    /// The entry's own related entries.
    Related,
    /// Every career-path entry (those with a career table row).
    CareerPaths,
    /// Every other entry of the same topic.
    SameTopic,
}

impl Command {
    /// The knowledge entry a topic command answers from.
    pub fn entry_id(&self) -> Option<&'static str> {
        Some(match self {
            Command::Salary => "salary",
            Command::Skills => "skills",
            Command::Certification => "certification",
            Command::Careers => "careers",
            Command::Organizations => "organizations",
            Command::Faq => "faq",
            Command::About => "about",
            Command::Start(_) | Command::Help | Command::Compare(_) => return None,
        })
    }
}

/// What the message for entry `id` lists under its answer, however it was asked for (a command, a
/// button, a deep link): `guide.toml` names the hubs that list every career path
/// (`list_career_paths`) or every entry of their topic (`list_topic`); others list their related
/// entries.
pub fn listing(guide: &hitbot_knowledge::Guide, id: &str) -> More {
    if guide.list_career_paths.iter().any(|h| h == id) {
        More::CareerPaths
    } else if guide.list_topic.iter().any(|h| h == id) {
        More::SameTopic
    } else {
        More::Related
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use teloxide::utils::command::BotCommands as _;

    #[test]
    fn hubs_list_what_the_guide_says() {
        let guide = hitbot_knowledge::Guide {
            list_career_paths: vec!["paths".into()],
            list_topic: vec!["faq".into()],
            ..Default::default()
        };
        assert_eq!(listing(&guide, "paths"), More::CareerPaths);
        assert_eq!(listing(&guide, "faq"), More::SameTopic);
        assert_eq!(listing(&guide, "careers"), More::Related);
    }

    #[test]
    fn menu_names_are_valid_for_telegram() {
        let commands = Command::bot_commands();
        assert_eq!(commands.len(), 10);
        for c in commands {
            let name = c.command.trim_start_matches('/');
            assert!(
                !name.is_empty()
                    && name.len() <= 32
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{name}"
            );
            assert!(
                (1..=256).contains(&c.description.chars().count()),
                "{}",
                c.description
            );
        }
    }

    #[test]
    fn parses_deep_links_and_mentions() {
        assert_eq!(
            Command::parse("/start", "hitbot").ok(),
            Some(Command::Start(String::new()))
        );
        assert_eq!(
            Command::parse("/start salary", "hitbot").ok(),
            Some(Command::Start("salary".into()))
        );
        assert_eq!(
            Command::parse("/salary@hitbot", "hitbot").ok(),
            Some(Command::Salary)
        );
        assert!(Command::parse("/salary@otherbot", "hitbot").is_err());
        assert!(Command::parse("/Start", "hitbot").is_err());
        assert_eq!(
            Command::parse("/compare coder analyst", "hitbot").ok(),
            Some(Command::Compare("coder analyst".into()))
        );
        assert_eq!(
            Command::parse("/compare", "hitbot").ok(),
            Some(Command::Compare(String::new()))
        );
    }
}
