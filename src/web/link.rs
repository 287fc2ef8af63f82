//! `/highlight web`: a one-time sign-in link to the evidence library, for
//! the person who typed it only (docs/design.md, The evidence library).

use crate::app::Clock;
use crate::config::Config;
use crate::error::AppError;
use crate::reply::Reply;
use crate::store::workspaces::WorkspaceId;
use crate::store::{web_sessions, Db};
use crate::web::session::{digest, random_token};

/// Said for `/highlight web` when the library is off.
pub const LIBRARY_OFF_TEXT: &str = "The evidence library in the browser is off. To turn it on, whoever runs \
     Highlights sets `HIGHLIGHTS_PUBLIC_URL` to the app's public address (e.g. `https://highlights.example.com`) \
     and, if it was turned off, `HIGHLIGHTS_WEB=on`, then restarts it.";

/// A new sign-in link for `user`, stored as its hash and answered ephemerally.
pub async fn issue(
    db: &Db,
    clock: &Clock,
    config: &Config,
    workspace: &WorkspaceId,
    user: &str,
) -> Result<Reply, AppError> {
    let Some(web) = &config.web else {
        return Ok(Reply::ephemeral(LIBRARY_OFF_TEXT));
    };
    let token = random_token();
    let now = clock.now_ms();
    db.write(async |tx| web_sessions::insert_login_link(tx, &digest(&token), workspace, user, now).await).await?;
    Ok(render_link(&web.url(&format!("/login/link/{token}"))))
}

/// The answer holding the link.
pub fn render_link(url: &str) -> Reply {
    Reply::ephemeral(format!(
        "Your sign-in link to the evidence library, for you only: <{url}|open the library in your browser>\n\
         It works once, within 10 minutes. Type `/highlight web` again for a new one."
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_link_is_shown_to_its_person_only() {
        insta::assert_json_snapshot!("sign_in_link", render_link("https://h.example.com/login/link/abc"));
    }

    #[test]
    fn slack_messages_link_to_their_page_in_the_library() {
        use crate::slack::blocks::{section, Message, MAX_MESSAGE_BLOCKS};
        let message = Message::new("Acme", vec![section("*Acme*")])
            .with_browser_link(Some("https://h.example.com/customers/7".into()));
        crate::slack::blocks::typed_blocks(&message.blocks).expect("valid Block Kit");
        insta::assert_json_snapshot!("open_in_browser", message);
        let full =
            Message::new("x", vec![section("x"); MAX_MESSAGE_BLOCKS]).with_browser_link(Some("https://h/".into()));
        assert_eq!(full.blocks.len(), MAX_MESSAGE_BLOCKS, "a full message keeps within Slack's limit");
        assert_eq!(Message::new("x", vec![section("x")]).with_browser_link(None).blocks.len(), 1);
    }
}
