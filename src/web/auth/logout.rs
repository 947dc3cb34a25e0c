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

pub async fn submit(
    session: actix_session::Session,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    crate::web::session::log_out(&session);
    Ok(see_other("/admin/login?logged_out=1"))
}
