//! The answering engine on the shipped knowledge: our own regression questions (written fresh, not the
//! dev set), every entry reachable by its own questions, honest declines, and hostile input.

use hitbot_engine::eval;

use crate::{advisor, root};

/// Accuracy bars for tests/data/regression.jsonl.
const MIN_IN_SCOPE: f64 = 0.95;
const MIN_OUT_OF_SCOPE: f64 = 0.95;

#[test]
fn regression_questions_are_answered_right() {
    let cases = eval::load_cases(&root().join("tests/data/regression.jsonl")).unwrap();
    assert!(
        cases.len() >= 150,
        "the regression set has {} questions",
        cases.len()
    );
    let report = eval::run(advisor(), &cases);
    let (inn, out) = (report.in_scope_accuracy(), report.out_of_scope_accuracy());
    assert!(
        inn >= MIN_IN_SCOPE && out >= MIN_OUT_OF_SCOPE,
        "in_scope={inn:.3} out_of_scope={out:.3}\n{}",
        report.render()
    );
}

#[test]
fn every_entry_is_found_by_its_own_questions() {
    let a = advisor();
    let mut misses = Vec::new();
    let mut total = 0;
    for e in &a.knowledge().entries {
        for q in &e.questions {
            total += 1;
            let reply = a.answer(q);
            let got = reply.entry.as_ref().map(|r| r.id.as_str());
            let offered = reply.did_you_mean.iter().any(|r| r.id == e.id);
            if !(reply.confident && (got == Some(e.id.as_str()) || offered)) {
                misses.push(format!(
                    "{q:?} -> {got:?} ({:.2}), wanted {}",
                    reply.confidence, e.id
                ));
            }
        }
    }
    let share = misses.len() as f64 / total as f64;
    assert!(
        share <= 0.05,
        "{} of {total} questions miss their entry:\n{}",
        misses.len(),
        misses.join("\n")
    );
}

#[test]
fn the_salary_question_from_the_readme() {
    let reply = advisor().answer("how much do HITs make?");
    assert!(reply.confident);
    assert!(reply.text.contains("$55,560"), "{}", reply.text);
    assert!(reply.source.as_deref().is_some_and(|s| s.contains("BLS")));
    assert!(!reply.related.is_empty() && reply.related.len() <= 3);
    // Entries the answer links to are follow-ups, not "did you mean" ambiguity.
    assert!(reply.did_you_mean.is_empty(), "{:?}", reply.did_you_mean);
}

#[test]
fn declines_have_no_guide_figures_and_list_topics() {
    for q in [
        "is it going to snow in denver",
        "tell me a joke",
        "asdf qwer zxcv",
        "?",
        "",
    ] {
        let reply = advisor().answer(q);
        assert!(
            !reply.confident,
            "{q:?} was answered with {:?}",
            reply.entry
        );
        assert!(
            reply.text.starts_with("Sorry, I don't know")
                || reply.text == hitbot_engine::advisor::NOT_COVERED_TEXT,
            "{}",
            reply.text
        );
        assert!(
            !reply.text.chars().any(|c| c.is_ascii_digit() || c == '$'),
            "{}",
            reply.text
        );
        assert!(reply.source.is_none());
    }
    assert!(advisor().topics().len() >= 6);
}

#[test]
fn short_in_scope_questions_are_answered() {
    for (q, fact) in [
        ("salary?", "55,560"),
        ("rhit?", "Registered Health Information Technician"),
        ("ahima", "1928"),
        ("hipaa", "1996"),
    ] {
        let reply = advisor().answer(q);
        assert!(
            reply.confident && reply.text.contains(fact),
            "{q:?} -> {:?}: {}",
            reply.entry,
            reply.text
        );
    }
}

#[test]
fn typos_are_corrected() {
    for (q, fact) in [
        ("hit salery", "55,560"),
        (
            "registerd health information technician certifcation",
            "AHIMA",
        ),
        ("professional orginizations", "AAPC"),
        // Two letters swapped in a short word; "hrad" is "hard", not the stop word "had".
        ("how much do hits mkae", "55,560"),
        ("is this job hrad", "stressful"),
    ] {
        let reply = advisor().answer(q);
        assert!(
            reply.confident && reply.text.contains(fact),
            "{q:?} -> {:?}",
            reply.entry
        );
    }
}

#[test]
fn follow_ups_use_the_previous_answer_and_new_questions_do_not() {
    let a = advisor();
    let coder = a.answer("tell me about the clinical coder career path");
    let coder_id = coder.entry.unwrap().id;
    let pay = a.answer_after("what about their salary?", Some(&coder_id));
    assert!(pay.text.contains("46,660"), "{:?}: {}", pay.entry, pay.text);
    let fresh = a.answer_after(
        "how much do health information technicians make?",
        Some(&coder_id),
    );
    assert!(fresh.text.contains("55,560"), "{:?}", fresh.entry);
    let amia = a.answer("what is AMIA").entry.unwrap().id;
    let join = a.answer_after("can students join it?", Some(&amia));
    assert!(
        join.confident && join.text.contains("student"),
        "{:?}",
        join.entry
    );
}

#[test]
fn hostile_input_never_panics() {
    let long = "salary ".repeat(2000);
    let noise: String = (0..10_000u32).filter_map(char::from_u32).collect();
    let inputs = [
        "",
        " ",
        "\n\t",
        "?",
        "salary:",
        "\"salary\"",
        "-salary",
        "*",
        "salary AND NOT hit",
        "title:(a OR b)",
        "rhit^10",
        "hipaa~2",
        "[1 TO 5]",
        "\\",
        "💰💰💰",
        "what's the 💸 like?",
        "<b>salary</b> & more",
        "NULL",
        "'; DROP TABLE entries; --",
        long.as_str(),
        noise.as_str(),
        "\u{0}\u{1}\u{2}",
        "ｓａｌａｒｙ",
        "Gehalt für HIT?",
        "зарплата",
        "薪水",
    ];
    for q in inputs {
        let reply = advisor().answer(q);
        assert!((0.0..=1.0).contains(&reply.confidence), "{q:?}");
        assert!(!reply.text.is_empty());
    }
}

#[test]
fn close_runners_up_are_offered_as_did_you_mean() {
    // Two topics in one question: the best entry answers, and a close runner-up is offered.
    let reply = advisor().answer("hit salary and job growth");
    assert!(reply.confident);
    assert!(!reply.did_you_mean.is_empty(), "{:?}", reply.entry);
    assert!(reply.did_you_mean.len() <= 2);
    assert!(!reply.did_you_mean.contains(reply.entry.as_ref().unwrap()));
}

#[test]
fn other_careers_are_declined_unless_hits_are_named() {
    for q in [
        "how much do nurses make",
        "what training does a firefighter need",
        "job outlook for pilots",
        // Jobs beside the subject, whose pay the guide does not give.
        "medical scribe hourly pay?",
        "what does a medical biller make",
    ] {
        let reply = advisor().answer(q);
        assert!(
            !reply.confident,
            "{q:?} was answered with {:?}",
            reply.entry
        );
    }
    let reply = advisor().answer("do HITs make more than nurses?");
    assert!(
        reply.confident && reply.text.contains("55,560"),
        "{:?}",
        reply.entry
    );
}

#[test]
fn the_question_inside_a_long_message_is_answered() {
    let reply = advisor().answer(
        "Hello there. I've worked in retail for ten years and my back hurts. Which states pay health information technicians best?",
    );
    assert!(reply.confident, "{:?} {}", reply.entry, reply.confidence);
    assert!(reply.text.contains("Maryland"), "{}", reply.text);
}

#[test]
fn numbers_alone_are_declined() {
    for q in ["what is 2+2", "1996", "42?", "what's 12 x 12"] {
        let reply = advisor().answer(q);
        assert!(
            !reply.confident,
            "{q:?} was answered with {:?}",
            reply.entry
        );
    }
    // A figure beside a topic word still counts.
    let reply = advisor().answer("hipaa 1996");
    assert!(reply.confident, "{:?}", reply.entry);
}

#[test]
fn small_talk_is_neither_answered_nor_declined() {
    for q in [
        "hello",
        "thanks!",
        "who are you?",
        "what's your name",
        "bye",
    ] {
        let reply = advisor().answer(q);
        assert!(reply.small_talk.is_some(), "{q:?}: {:?}", reply.entry);
        assert!(!reply.confident && reply.entry.is_none(), "{q:?}");
        assert!(!reply.text.contains("Sorry"), "{q:?}: {}", reply.text);
    }
    let reply = advisor().answer("thanks! and how much do HITs make?");
    assert!(
        reply.small_talk.is_none() && reply.confident,
        "{:?}",
        reply.entry
    );
}

#[test]
fn explain_says_why_the_reply_is_an_answer_or_a_decline() {
    let a = advisor();
    let answered = a.explain("how much do HITs make?");
    assert!(
        answered.contains("decision: answer from salary"),
        "{answered}"
    );
    let declined = a.explain("how much do nurses make?");
    assert!(
        declined.contains("decision: decline (not covered): the question names another career"),
        "{declined}"
    );
    let unknown = a.explain("qwpoeiru zmxn");
    assert!(
        unknown.contains("model: ran") && unknown.contains("decision: decline (not understood)"),
        "{unknown}"
    );
    // When the model ran, every candidate shows both stages and the fused confidence.
    let fused = a.explain("where can this line of work take me after a few years");
    assert!(fused.contains("model: ran"), "{fused}");
    let line = fused
        .lines()
        .find(|l| l.contains("similarity(question)="))
        .unwrap_or_else(|| panic!("{fused}"));
    for part in ["coverage=", "bm25=", "similarity(answer)=", "confidence="] {
        assert!(line.contains(part), "{line}");
    }
    // A question the lexical stage covers entirely skips the model.
    assert!(answered.contains("model: skipped"), "{answered}");
    assert!(a.explain("hi").contains("decision: small talk"));
}

#[test]
fn meaning_is_understood_where_the_words_differ() {
    // Wording that shares few key words with the entries' questions: the model bridges it.
    for (q, expect) in [
        (
            "what sort of vocabulary from medicine should I pick up",
            "skill-medical-terminology",
        ),
        (
            "do I get to talk with patients or is it all screens",
            "duties-people",
        ),
    ] {
        let reply = advisor().answer(q);
        assert!(
            reply.confident && reply.entry.as_ref().is_some_and(|e| e.id == expect),
            "{q:?} -> {:?} {:.2}",
            reply.entry,
            reply.confidence
        );
        assert!(
            advisor().scored(q).semantic,
            "{q:?}: the model should have run"
        );
    }
}

#[test]
fn questions_the_guide_does_not_cover_are_declined_honestly_with_the_closest_topic() {
    for q in [
        "what's the registration fee to sit the RHIT test",
        "is there a big fine if a clinic breaks HIPAA",
    ] {
        let reply = advisor().answer(q);
        assert!(
            !reply.confident,
            "{q:?} was answered with {:?}",
            reply.entry
        );
        assert!(reply.not_covered, "{q:?}: {}", reply.text);
        assert_eq!(reply.text, hitbot_engine::advisor::NOT_COVERED_TEXT);
        assert_eq!(
            reply.related.len(),
            1,
            "{q:?}: the closest topic is offered"
        );
    }
    // General knowledge with a generic known word in it does not get in either.
    for q in ["what is the meaning of life", "what time is it in tokyo"] {
        let reply = advisor().answer(q);
        assert!(
            !reply.confident,
            "{q:?} was answered with {:?}",
            reply.entry
        );
    }
}

#[test]
fn the_other_question_of_a_two_part_message_is_offered_as_a_button() {
    let reply = advisor().answer(
        "I'm thinking about switching careers. What does a HIT earn? And which organizations could I join?",
    );
    assert!(reply.confident, "{:?}", reply.entry);
    let answered = reply.entry.as_ref().unwrap().id.clone();
    let parts = [
        advisor().answer("What does a HIT earn?").entry.unwrap().id,
        advisor()
            .answer("which organizations could I join?")
            .entry
            .unwrap()
            .id,
    ];
    assert!(parts.contains(&answered), "{answered} not in {parts:?}");
    let other = parts.iter().find(|p| **p != answered).unwrap();
    let offered: Vec<&str> = reply.related.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(offered.first(), Some(&other.as_str()), "{offered:?}");
}

#[test]
fn chat_slang_for_pay_and_outlook_lands_where_a_person_expects() {
    for (q, expect) in [
        ("is being a HIT a dead end job", "17%"),
        ("whats the bag like for HITs ngl", "55,560"),
        ("is HIT a dead end career fr", "17%"),
    ] {
        let reply = advisor().answer(q);
        assert!(
            reply.confident && reply.text.contains(expect),
            "{q:?} -> {:?} {:.2}",
            reply.entry,
            reply.confidence
        );
    }
}

#[test]
fn the_knowledge_vectors_are_kept_beside_the_index_and_reused() {
    let index = tempfile::tempdir().unwrap();
    let config = hitbot_engine::EngineConfig {
        knowledge_dir: root().join("knowledge"),
        index_dir: index.path().to_path_buf(),
        semantic: hitbot_engine::SemanticConfig {
            model_dir: root().join("models/all-minilm-l6-v2"),
            ..Default::default()
        },
        ..hitbot_engine::EngineConfig::default()
    };
    let first = hitbot_engine::Advisor::open(&config).unwrap();
    let folder = index
        .path()
        .join(hitbot_engine::advisor::index_name(first.knowledge()));
    let vectors: Vec<_> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("vectors-")
        })
        .collect();
    assert_eq!(vectors.len(), 1, "{vectors:?}");
    let written = std::fs::metadata(&vectors[0]).unwrap().modified().unwrap();
    let second = hitbot_engine::Advisor::open(&config).unwrap();
    assert_eq!(
        std::fs::metadata(&vectors[0]).unwrap().modified().unwrap(),
        written,
        "the second start read the vectors instead of writing them again"
    );
    let q = "where can this line of work take me after a few years";
    assert_eq!(first.answer(q), second.answer(q));
}

#[test]
fn the_semantic_stage_can_be_turned_off() {
    let config = hitbot_engine::EngineConfig {
        knowledge_dir: root().join("knowledge"),
        index_dir: tempfile::tempdir().unwrap().keep(),
        semantic: hitbot_engine::SemanticConfig {
            enabled: false,
            model_dir: "no/such/folder".into(),
            ..Default::default()
        },
        ..hitbot_engine::EngineConfig::default()
    };
    let lexical = hitbot_engine::Advisor::open(&config).unwrap();
    assert!(!lexical.semantic_enabled());
    let q = "where can this line of work take me after a few years";
    assert!(!lexical.scored(q).semantic);
    assert!(lexical.explain(q).contains("model: off"));
    assert!(lexical
        .answer("how much do HITs make?")
        .text
        .contains("55,560"));
}

#[test]
fn a_missing_model_is_a_clear_setup_error() {
    let config = hitbot_engine::EngineConfig {
        knowledge_dir: root().join("knowledge"),
        index_dir: tempfile::tempdir().unwrap().keep(),
        semantic: hitbot_engine::SemanticConfig {
            model_dir: "no/such/folder".into(),
            ..Default::default()
        },
        ..hitbot_engine::EngineConfig::default()
    };
    let err = match hitbot_engine::Advisor::open(&config) {
        Ok(_) => panic!("opened without a model"),
        Err(e) => e,
    };
    assert!(err.is_setup());
    let message = err.to_string();
    assert!(
        message.contains("no/such/folder") && message.contains("[semantic] model_dir"),
        "{message}"
    );
}

#[test]
fn a_question_asking_for_a_kind_of_fact_its_entry_lacks_is_not_covered() {
    let a = advisor();
    // The AAPC entry matches in words and meaning, but names no price; the pay entry does.
    let reply = a.answer("what are the dues to belong to AAPC");
    assert!(!reply.confident, "answered from {:?}", reply.entry);
    assert!(reply.not_covered, "{}", reply.text);
    assert_eq!(reply.related.len(), 1, "the AAPC entry is offered");
    assert_eq!(reply.related[0].id, "org-aapc");
    assert!(a
        .explain("what are the dues to belong to AAPC")
        .contains("asks for an amount of money"));
    // Asking for the kinds of fact the entries do hold is still answered.
    for (q, entry) in [
        (
            "how much do health information technicians make a year",
            "salary",
        ),
        (
            "when did medical records go electronic",
            "history-digital-records",
        ),
    ] {
        let reply = a.answer(q);
        assert!(reply.confident, "{q:?} was declined");
        assert_eq!(reply.entry.unwrap().id, entry, "{q:?}");
    }
}

#[test]
fn a_name_or_year_the_knowledge_never_mentions_is_not_covered() {
    let a = advisor();
    for (q, name) in [
        (
            "does Mayo Clinic hire health information technicians",
            "Mayo",
        ),
        ("what will HITs earn in 2030", "2030"),
    ] {
        let reply = a.answer(q);
        assert!(!reply.confident, "{q:?} answered from {:?}", reply.entry);
        assert!(reply.not_covered, "{q:?}: {}", reply.text);
        assert!(a.explain(q).contains(&format!("names {name}")), "{q:?}");
    }
    // Names the knowledge holds are fine, and personal context does not hide the question.
    let reply = a.answer("What does AHIMA do?");
    assert_eq!(reply.entry.map(|e| e.id).as_deref(), Some("org-ahima"));
    let reply = a.answer("My name is Dana and I work at Target, what skills does a HIT need?");
    assert!(reply.confident, "declined: {}", reply.text);
    assert_eq!(reply.entry.map(|e| e.id).as_deref(), Some("skills"));
}

/// `scope.toml` `names`: places and employers typed in lower case count as names, even where a
/// synonym rule routes them ("ohio" → "state"); a name the guide does say keeps the question in.
#[test]
fn a_listed_name_in_lower_case_is_not_covered_unless_the_guide_says_it() {
    let a = advisor();
    for (q, name) in [
        ("how much do health info techs make in ohio", "ohio"),
        ("do hospitals in canada hire HITs", "canada"),
        ("is it good to work at kaiser as a hit", "kaiser"),
        // The name is the question's own object, in a piece of its own: no part answers alone.
        (
            "which EHR is more common in hospitals, epic or cerner",
            "cerner",
        ),
    ] {
        let reply = a.answer(q);
        assert!(!reply.confident, "{q:?} answered from {:?}", reply.entry);
        assert!(reply.not_covered, "{q:?}: {}", reply.text);
        assert!(a.explain(q).contains(name), "{q:?}");
    }
    // The guide names New York among the best-paying states.
    let reply = a.answer("do HITs in new york get paid well");
    assert!(reply.confident, "declined: {}", reply.text);
    let reply = a.answer("which pays HITs more, new york or ohio?");
    assert!(reply.confident, "declined: {}", reply.text);
}

/// A question for a phone number, email, address or headquarters is answered only from an entry
/// that holds one.
#[test]
fn contact_details_the_guide_lacks_are_not_covered() {
    let a = advisor();
    for q in [
        "what is ahima's phone number",
        "where is aapc headquartered",
    ] {
        let reply = a.answer(q);
        assert!(!reply.confident, "{q:?} answered from {:?}", reply.entry);
        assert!(reply.not_covered, "{q:?}: {}", reply.text);
        assert!(a.explain(q).contains("contact details"), "{q:?}");
    }
    assert!(a.answer("what does AAPC do").confident);
}

/// `scope.toml` `details`: a question about a detail no entry's answer speaks of is not covered.
#[test]
fn a_detail_the_guide_is_silent_on_is_not_covered() {
    let a = advisor();
    for q in [
        "can health information technicians work from home",
        "do HITs work night shifts",
        "when is the next AHIMA conference",
        "how many words per minute should a HIT type",
    ] {
        let reply = a.answer(q);
        assert!(!reply.confident, "{q:?} answered from {:?}", reply.entry);
        assert!(reply.not_covered, "{q:?}: {}", reply.text);
        assert!(a.explain(q).contains("scope.toml details"), "{q:?}");
    }
    assert!(
        a.answer("where do health information technicians work")
            .confident
    );
}

/// Everyday wording that carries no topic ("what does it look like") does not count as a point
/// the guide leaves out.
#[test]
fn filler_wording_does_not_hide_the_topic() {
    let a = advisor();
    let q = "what's a typical day look like for one";
    let explained = a.explain(q);
    assert!(
        !explained
            .lines()
            .any(|l| l.trim_start().starts_with("look ")),
        "{explained}"
    );
    let reply = a.answer(q);
    assert!(reply.confident, "declined: {}", reply.text);
    assert_eq!(
        reply.entry.map(|e| e.id).as_deref(),
        Some("day-in-the-life")
    );
}

/// Another career the knowledge mentions as someone HITs deal with, and "how much" inside a
/// question about what matters, do not turn a question about the job away.
#[test]
fn who_the_job_deals_with_and_what_moves_pay_are_answered() {
    let a = advisor();
    for (q, entry) in [
        (
            "do you work with software engineers in this job",
            "duties-people",
        ),
        (
            "what factors affect how much a health information technician earns",
            "pay-factors",
        ),
    ] {
        let reply = a.answer(q);
        assert!(reply.confident, "{q:?} declined: {}", reply.text);
        let got = reply.entry.map(|e| e.id);
        let offered = reply.did_you_mean.iter().any(|e| e.id == entry);
        assert!(got.as_deref() == Some(entry) || offered, "{q:?}: {got:?}");
    }
    // The other career as the subject is still declined.
    assert!(!a.answer("how much do software engineers make").confident);
}

/// "How many years" wants the number: a degree's name answers "how long is school", not that.
#[test]
fn a_number_of_years_is_answered_only_with_one() {
    let a = advisor();
    let reply = a.answer("how many semesters is the HIT associate degree");
    assert!(!reply.confident, "answered from {:?}", reply.entry);
    assert!(reply.not_covered, "{}", reply.text);
    let reply = a.answer("how many years of IT experience does Southall have");
    assert!(
        reply.confident && reply.text.contains("13"),
        "{}",
        reply.text
    );
}
