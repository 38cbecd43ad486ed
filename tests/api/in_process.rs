//! `Mock::process`: the same pipeline without a network, for embedding and benchmarks.

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::{Request, StatusCode};
use serde_json::json;
use vms_billing_mock::{Answer, Config, Mock};

use crate::helpers::*;

fn create(body: &serde_json::Value) -> Request<Bytes> {
    Request::post(USERS)
        .header("content-type", "application/json")
        .header("accept", "application/json")
        .body(Bytes::from(body.to_string()))
        .unwrap()
}

async fn body_of(answer: Answer) -> (StatusCode, String) {
    match answer {
        Answer::Respond(response) => {
            let status = response.status();
            let bytes = response.into_body().collect().await.unwrap().to_bytes();
            (status, String::from_utf8(bytes.to_vec()).unwrap())
        }
        Answer::Drop { .. } => panic!("expected a response"),
    }
}

#[tokio::test]
async fn process_answers_like_the_server() {
    let mut config = Config::default();
    let scn = shipped("documented-example");
    let name = scn.name().to_owned();
    config.add_scenario(scn).unwrap();
    config.set_active(&name).unwrap();
    let mock = Mock::new(config);
    let processed = mock.process(create(&vendor_example()));
    assert_eq!(processed.delay_ms, 0);
    assert_eq!(
        body_of(processed.answer).await,
        (StatusCode::OK, VENDOR_RESPONSE.to_owned())
    );
    let processed = mock.process(create(&json!({})));
    assert_eq!(
        body_of(processed.answer).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

#[tokio::test]
async fn process_reports_delays_and_faults_instead_of_carrying_them_out() {
    let mut config = Config::default();
    let scn = scenario(&json!({"name": "f", "rules": [
        {"match": {"nth": 1}, "respond": {"delay_ms": 250}},
        {"match": {"nth": 2}, "respond": {"fault": "connection_reset"}},
        {"match": {"nth": 3}, "respond": {"fault": "timeout", "hold_ms": 900}}
    ]}));
    let name = scn.name().to_owned();
    config.add_scenario(scn).unwrap();
    config.set_active(&name).unwrap();
    let mock = Mock::new(config);
    let first = mock.process(create(&user("a@x.com")));
    assert_eq!(first.delay_ms, 250);
    assert_eq!(body_of(first.answer).await.0, StatusCode::OK);
    assert!(matches!(
        mock.process(create(&user("b@x.com"))).answer,
        Answer::Drop {
            reset: true,
            hold_ms: 0
        }
    ));
    assert!(matches!(
        mock.process(create(&user("c@x.com"))).answer,
        Answer::Drop {
            reset: false,
            hold_ms: 900
        }
    ));
}
