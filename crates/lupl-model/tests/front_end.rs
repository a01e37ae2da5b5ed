//! The HTTP front end holds up against slow, idle and too many clients:
//! an idle or slow-header connection is closed after the header timeout, a
//! body that trickles is answered 408, a malformed chunked body 400, a body
//! over the cap 413, and connections beyond the cap are closed at once while
//! the others are served. Short limits keep the tests quick; the waits are
//! reads that end when the server acts, bounded by a generous timeout.

use lupl_model::http_server::{self, Limits};
use lupl_model::{Fixture, Model};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Longest a test waits for the server to act.
const PATIENCE: Duration = Duration::from_secs(30);

async fn server(limits: Limits) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    let model = Arc::new(Model::new(Fixture::builtin()));
    tokio::spawn(http_server::serve_with(
        listener,
        http_server::sandbox_handler(model),
        limits,
    ));
    address
}

fn quick() -> Limits {
    Limits {
        header_timeout: Duration::from_millis(300),
        body_timeout: Duration::from_millis(300),
        max_connections: 64,
    }
}

/// Everything the server sends until it closes the connection.
async fn until_closed(stream: &mut TcpStream) -> String {
    let mut out = Vec::new();
    tokio::time::timeout(PATIENCE, stream.read_to_end(&mut out))
        .await
        .expect("the server closes the connection")
        .expect("read");
    String::from_utf8_lossy(&out).into_owned()
}

const GET: &[u8] = b"GET /api/1.0/pms/providerconfig?pmsId=4efafdc0-2783-4af6-9cac-d2b2be27a080 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok-acme\r\nConnection: close\r\n\r\n";

#[tokio::test]
async fn an_idle_connection_and_a_slow_header_are_closed() {
    let address = server(quick()).await;
    let mut idle = TcpStream::connect(address).await.expect("connect");
    assert_eq!(until_closed(&mut idle).await, "");
    let mut slow = TcpStream::connect(address).await.expect("connect");
    slow.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("write");
    let answer = until_closed(&mut slow).await;
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
    // The server still serves a well-behaved client.
    let mut good = TcpStream::connect(address).await.expect("connect");
    good.write_all(GET).await.expect("write");
    assert!(until_closed(&mut good).await.starts_with("HTTP/1.1 200"));
}

#[tokio::test]
async fn a_trickling_body_is_408_a_bad_chunk_400_and_an_oversized_one_413() {
    let address = server(quick()).await;
    let head = "POST /api/1.0/pms/providerconfig HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok-acme\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";

    let mut trickle = TcpStream::connect(address).await.expect("connect");
    trickle.write_all(head.as_bytes()).await.expect("write");
    trickle.write_all(b"1\r\n{\r\n").await.expect("write");
    // No more: the body never ends.
    let answer = until_closed(&mut trickle).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");

    let mut bad = TcpStream::connect(address).await.expect("connect");
    bad.write_all(head.as_bytes()).await.expect("write");
    bad.write_all(b"zz\r\n{}\r\n0\r\n\r\n")
        .await
        .expect("write");
    let answer = until_closed(&mut bad).await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");

    let mut huge = TcpStream::connect(address).await.expect("connect");
    let length = lupl_model::MAX_BODY_BYTES + 1;
    let head = format!(
        "POST /api/1.0/pms/providerconfig HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok-acme\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
    );
    huge.write_all(head.as_bytes()).await.expect("write");
    let _ = huge.write_all(&vec![b' '; length]).await;
    let answer = until_closed(&mut huge).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
}

#[tokio::test]
async fn connections_beyond_the_cap_are_closed_and_the_others_served() {
    let address = server(Limits {
        header_timeout: Duration::from_secs(60),
        max_connections: 3,
        ..quick()
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(TcpStream::connect(address).await.expect("connect"));
    }
    // The server has accepted the three once one of them is answered.
    held[0]
        .write_all(b"GET /openapi.json HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("write");
    let mut first = [0u8; 12];
    tokio::time::timeout(PATIENCE, held[0].read_exact(&mut first))
        .await
        .expect("answered")
        .expect("read");
    assert_eq!(&first, b"HTTP/1.1 200");
    let mut refused = TcpStream::connect(address).await.expect("connect");
    assert_eq!(
        until_closed(&mut refused).await,
        "",
        "a fourth is closed unanswered"
    );
    // One of the three goes away: a new connection is served again.
    drop(held.pop());
    let mut answered = false;
    for _ in 0..100 {
        let mut next = TcpStream::connect(address).await.expect("connect");
        let _ = next.write_all(GET).await;
        if until_closed(&mut next).await.starts_with("HTTP/1.1 200") {
            answered = true;
            break;
        }
    }
    assert!(answered, "a freed slot is used again");
}
