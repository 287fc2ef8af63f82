//! Signed requests already taken, by the SHA-256 of their signature, shared
//! by every replica: a request replayed within Slack's signing window is
//! answered without being acted on again (see
//! [`crate::slack::verify::SignedRequest::seen_key`]).

/// Records a request's signature hash until `expires_at_ms`; returns false
/// when it was already recorded (a replay).
pub async fn insert_seen_request(
    conn: &mut sqlx::AnyConnection,
    signature_hash: &str,
    expires_at_ms: i64,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "insert into seen_requests (signature_hash, expires_at) values ($1, $2)
         on conflict (signature_hash) do nothing",
    )
    .bind(signature_hash)
    .bind(expires_at_ms)
    .execute(&mut *conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Forgets a request whose handling failed on our side, so that sending it
/// again is acted on.
pub async fn delete_seen_request(conn: &mut sqlx::AnyConnection, signature_hash: &str) -> Result<(), sqlx::Error> {
    sqlx::query("delete from seen_requests where signature_hash = $1").bind(signature_hash).execute(&mut *conn).await?;
    Ok(())
}

/// Deletes the requests whose signature can no longer be verified at
/// `now_ms`; returns how many.
pub async fn delete_expired_seen_requests(conn: &mut sqlx::AnyConnection, now_ms: i64) -> Result<u64, sqlx::Error> {
    let result =
        sqlx::query("delete from seen_requests where expires_at < $1").bind(now_ms).execute(&mut *conn).await?;
    Ok(result.rows_affected())
}
