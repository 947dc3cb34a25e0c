//! `/admin/logout`: GET asks, POST (with the CSRF token) logs out.

use actix_web::HttpResponse;
use askama::Template;
use askama_web::WebTemplate;

use crate::error::AppError;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::extract::CurrentUser;
use crate::web::layout::Layout;
use crate::web::see_other;

#[derive(Template, WebTemplate)]
#[template(path = "auth/logout.html")]
pub struct LogoutPage {
    layout: Layout,
}

pub async fn show(user: CurrentUser) -> Result<LogoutPage, AppError> {
    Ok(LogoutPage {
        layout: user.layout()?,
    })
}

/// Ends the session on the server too: a copy of the cookie stops working.
pub async fn submit(
    state: actix_web::web::Data<crate::web::AppState>,
    session: actix_session::Session,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    if let Some(sid) = crate::web::session::session_id(&session)? {
        crate::web::db(&state, move |conn| {
            crate::app::accounts::log_out(conn, &sid)
        })
        .await?;
    }
    crate::web::session::log_out(&session);
    Ok(see_other("/admin/login?logged_out=1"))
}
