//! Every file of GAME's real examples (`shared/data/game`) against homolog's GAME schema.
//!
//! The expectations are per file and the test fails when a file is not listed, so a new
//! example cannot go unchecked. Several upstream examples are not valid JSON (trailing commas,
//! `..` placeholders) or use GAME's first draft of the schema; those must be rejected with a 400
//! that says why, exactly as a GAME predictor answers them.

use std::path::Path;

use homolog_game::{
    check_help, decode, parse_request, parse_response, Format, GameError, PredictRequest, Readout,
};

fn read(dir: &Path, rel: &str) -> Vec<u8> {
    std::fs::read(dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn request(dir: &Path, rel: &str) -> Result<PredictRequest, GameError> {
    parse_request(decode(Format::Json, &read(dir, rel))?)
}

/// Removes trailing commas before `}` / `]` (the only syntax error of some examples).
fn strip_trailing_commas(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c == ',' {
            let next = chars[i + 1..].iter().find(|c| !c.is_whitespace());
            if matches!(next, Some('}') | Some(']')) {
                continue;
            }
        }
        out.push(c);
    }
    out
}

#[test]
fn every_game_example_has_the_expected_verdict() {
    let dir = homolog_testkit::require_data!("game");
    let mut checked: Vec<&str> = Vec::new();

    // --- requests GAME's evaluators really send: valid, and their sequences are usable.
    for rel in [
        "dream_rnn/evaluator_data/evaluator_input_sample_test.json",
        "dream_rnn/evaluator_data/evaluator_message_gosai_5seqs.json",
        "dream_rnn/evaluator_data/evaluator_message_more_complex.json",
        "dream_rnn/evaluator_data/evaluator_message_simple_test.json",
    ] {
        let req = request(&dir, rel).unwrap_or_else(|e| panic!("{rel}: {e}"));
        let regions = req.regions().unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert_eq!(regions.len(), req.sequences.len(), "{rel}");
        checked.push(rel);
    }
    let big = request(
        &dir,
        "dream_rnn/evaluator_data/evaluator_input_sample_test.json",
    )
    .unwrap();
    assert_eq!(big.sequences.len(), 1000);
    assert_eq!(big.sequences[0].0, "seq58705_F", "request order is kept");
    let complex = request(
        &dir,
        "dream_rnn/evaluator_data/evaluator_message_more_complex.json",
    )
    .unwrap();
    assert_eq!(complex.readout, Readout::Track);
    assert_eq!(complex.range_of("seq1"), Some((0, 100)));
    assert_eq!(complex.range_of("seq2"), None);
    let regions = complex.regions().unwrap();
    // Ranges index the flanked sequence: [10, 10] is one base.
    let r = regions.iter().find(|r| r.id == "random_seq").unwrap();
    assert_eq!(r.target().len(), 1);
    let raw = &complex
        .sequences
        .iter()
        .find(|(k, _)| k == "random_seq")
        .unwrap()
        .1;
    assert_eq!(r.flanked.len(), 6 + raw.len() + 5);

    // --- DREAM-RNN's real responses: valid, and they answer their request.
    for (rel, req_rel) in [
        (
            "dream_rnn/predictions/dreamRNN_predictor_return_evaluator_input_sample_test.json",
            "dream_rnn/evaluator_data/evaluator_input_sample_test.json",
        ),
        (
            "dream_rnn/predictions/dreamRNN_predictions_evaluator_message_gosai_5seqs.json",
            "dream_rnn/evaluator_data/evaluator_message_gosai_5seqs.json",
        ),
        (
            "dream_rnn/predictions/dreamRNN_predictor_return_container_evaluator_message_gosai_5seqs.json",
            "dream_rnn/evaluator_data/evaluator_message_gosai_5seqs.json",
        ),
        (
            "dream_rnn/predictions/dreamRNN_predictor_return_container_evaluator_message_more_complex.json",
            "dream_rnn/evaluator_data/evaluator_message_more_complex.json",
        ),
    ] {
        let resp = parse_response(decode(Format::Json, &read(&dir, rel)).unwrap())
            .unwrap_or_else(|e| panic!("{rel}: {e:?}"));
        let req = request(&dir, req_rel).unwrap();
        resp.check_answers(&req).unwrap_or_else(|e| panic!("{rel}: {e:?}"));
        // DREAM-RNN writes type_actual as one string (GAME's older form): read as a list.
        assert!(
            resp.tasks.iter().all(|t| t.type_actual == ["expression"]),
            "{rel}"
        );
        // Re-serialising keeps the content (order included), type_actual as GAME's array.
        let text = serde_json::to_string(&resp).unwrap();
        assert!(text.contains(r#""type_actual":["expression"]"#), "{rel}");
        let again = parse_response(decode(Format::Json, text.as_bytes()).unwrap()).unwrap();
        assert_eq!(again, resp, "{rel}");
        checked.push(rel);
    }

    // --- the original example response (first-draft key `prediction_task`): valid.
    for rel in [
        "examples/sampleRequest1/predictor_message_final.json",
        // Named like a request, but it is a response message.
        "examples/sampleRequest1/evaluator_message.json",
    ] {
        let resp = parse_response(decode(Format::Json, &read(&dir, rel)).unwrap())
            .unwrap_or_else(|e| panic!("{rel}: {e:?}"));
        assert_eq!(resp.tasks.len(), 1);
        assert_eq!(resp.tasks[0].predictions.len(), 5);
        // As a request it lacks readout and sequences: 400 naming them.
        let e = request(&dir, rel).unwrap_err();
        assert_eq!(e.status, 400);
        assert!(e.messages()[0].contains("readout, sequences"), "{e}");
        checked.push(rel);
    }

    // --- help messages: valid.
    for rel in [
        "examples/helpExample/predictor_help_message.json",
        "dream_rnn/predictor_help_message.json",
    ] {
        let v = decode(Format::Json, &read(&dir, rel)).unwrap();
        assert_eq!(check_help(&v), Vec::<String>::new(), "{rel}");
        checked.push(rel);
    }

    // --- a help request sent to /predict: 400 naming the missing keys and the wrong request.
    let rel = "examples/helpExample/evaluator_message_onlyINFO_final.json";
    let e = request(&dir, rel).unwrap_err();
    assert_eq!(e.status, 400);
    let all = e.messages().join(" | ");
    assert!(
        all.contains("readout, prediction_tasks, sequences"),
        "{all}"
    );
    assert!(all.contains("GET /help"), "{all}");
    checked.push(rel);

    // --- GAME's first-draft request (task/prediction_types/sequences as a list): 400.
    let rel = "examples/sampleRequest1/evaluator_message_auto.json";
    let e = request(&dir, rel).unwrap_err();
    assert_eq!(e.status, 400);
    let all = e.messages().join(" | ");
    assert!(all.contains("prediction_tasks"), "{all}");
    assert!(all.contains("sequences should be an object"), "{all}");
    assert!(
        all.contains("'upstream_seq' should have exactly one value"),
        "{all}"
    );
    checked.push(rel);

    // --- not valid JSON (trailing commas, `..`): 400 with the position.
    for rel in [
        "examples/error_message_sample.json",
        "examples/sampleRequest2/evaluator_message.json",
        "examples/sampleRequest2/predictor_message.json",
    ] {
        let e = decode(Format::Json, &read(&dir, rel)).unwrap_err();
        assert_eq!(e.status, 400, "{rel}");
        assert!(
            e.messages()[0].contains("not valid JSON") && e.messages()[0].contains("line"),
            "{rel}: {e}"
        );
        checked.push(rel);
    }
    // Repaired, the error sample is GAME's legacy flat error form.
    let fixed = strip_trailing_commas(
        &String::from_utf8(read(&dir, "examples/error_message_sample.json")).unwrap(),
    );
    let v = decode(Format::Json, fixed.as_bytes()).unwrap();
    let e = GameError::from_body(400, &v).unwrap();
    assert_eq!(e.entries[0].0, "bad_prediction_request");
    // Repaired, sampleRequest2's request is valid but its "ATGC..." placeholders are not DNA:
    // 422 naming every sequence.
    let fixed = strip_trailing_commas(
        &String::from_utf8(read(&dir, "examples/sampleRequest2/evaluator_message.json")).unwrap(),
    );
    let req = parse_request(decode(Format::Json, fixed.as_bytes()).unwrap()).unwrap();
    assert_eq!(req.tasks.len(), 2);
    let e = req.regions().unwrap_err();
    assert_eq!(e.status, 422);
    assert_eq!(e.entries.len(), 5);
    assert!(
        e.messages()[0].contains("'seq1'") && e.messages()[0].contains("'.'"),
        "{e}"
    );

    // --- the plain-text MPRA test sequences: usable as a request.
    let rel = "examples/sampleRequest1/mpra_evaluator_test_sequences.txt";
    let text = String::from_utf8(read(&dir, rel)).unwrap();
    let mut seqs = serde_json::Map::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(f.len(), 3, "{rel}: {line}");
        seqs.insert(f[0].to_string(), f[1].into());
    }
    let body = serde_json::json!({"readout": "point",
        "prediction_tasks": [{"name": "t", "type": "expression", "cell_type": "HepG2", "species": "homo_sapiens"}],
        "sequences": seqs});
    let req = parse_request(decode(Format::Json, body.to_string().as_bytes()).unwrap()).unwrap();
    assert_eq!(req.regions().unwrap().len(), 5);
    checked.push(rel);

    // The spec text itself is documentation, not a message.
    checked.push("API_SPEC_README.md");

    // Every file is covered.
    let mut files = Vec::new();
    let mut stack = vec![dir.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push(p.strip_prefix(&dir).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    for f in &files {
        assert!(
            checked.contains(&f.as_str()),
            "example {f} has no expectation in this test"
        );
    }
}
