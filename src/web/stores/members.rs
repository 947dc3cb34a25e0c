//! `/admin/s/{store}/members`: who can work in the store, and with which
//! role. Owners add members (creating the account when the email is new),
//! change roles and remove members; a store always keeps an owner.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::db;
use crate::db::stores::{Member, MemberChange, MemberError};
use crate::domain::email::Email;
use crate::domain::ids::UserId;
use crate::domain::password::NewPassword;
use crate::domain::role::Role;
use crate::error::AppError;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::extract::{MinRole, Owner, StoreAccess, Viewer};
use crate::web::forms::FormErrors;
use crate::web::layout::{Layout, Section};
use crate::web::session::{FlashKind, flash};
use crate::web::{render_status, see_other};

#[derive(Debug, Deserialize)]
#[serde(default)]
pub struct MemberForm {
    pub email: String,
    pub password: String,
    pub role: String,
}

impl Default for MemberForm {
    fn default() -> Self {
        MemberForm {
            email: String::new(),
            password: String::new(),
            role: Role::Viewer.as_str().into(),
        }
    }
}

#[derive(Template)]
#[template(path = "stores/members.html")]
struct MembersPage {
    layout: Layout,
    members: Vec<Member>,
    form: MemberForm,
    errors: FormErrors,
    can_edit: bool,
    me: UserId,
    roles: [Role; 3],
}

async fn render<R: MinRole>(
    access: &StoreAccess<R>,
    status: StatusCode,
    form: MemberForm,
    errors: FormErrors,
) -> Result<HttpResponse, AppError> {
    let store = access.store.id();
    let members =
        crate::web::db(&access.state, move |conn| db::stores::members(conn, store)).await?;
    let page = MembersPage {
        layout: access.layout(Section::Members)?,
        members,
        form,
        errors,
        can_edit: access.role >= Role::Owner,
        me: access.user.id(),
        roles: Role::ALL,
    };
    render_status(status, &page)
}

pub async fn show(access: StoreAccess<Viewer>) -> Result<HttpResponse, AppError> {
    render(
        &access,
        StatusCode::OK,
        MemberForm::default(),
        FormErrors::default(),
    )
    .await
}

pub async fn add(
    access: StoreAccess<Owner>,
    CsrfForm(mut form): CsrfForm<MemberForm>,
) -> Result<HttpResponse, AppError> {
    let mut errors = FormErrors::default();
    let email = errors.check("email", Email::parse(&form.email));
    let role = errors.check("role", Role::parse(&form.role));
    // The password only matters for a new account; it is checked below.
    let password = if form.password.is_empty() {
        None
    } else {
        errors.check("password", NewPassword::parse(&form.password))
    };
    form.password.clear();
    let (Some(email), Some(role)) = (email, role) else {
        return render(&access, StatusCode::UNPROCESSABLE_ENTITY, form, errors).await;
    };
    if !errors.is_empty() {
        return render(&access, StatusCode::UNPROCESSABLE_ENTITY, form, errors).await;
    }
    let hash = match password {
        Some(password) => Some(web::block(move || password.hash()).await??),
        None => None,
    };
    let store = access.store.id();
    let shown_email = email.as_str().to_string();
    let outcome = crate::web::db(&access.state, move |conn| {
        Ok::<_, AppError>(db::stores::put_member(
            conn,
            store,
            &email,
            role,
            hash.as_deref(),
        ))
    })
    .await?;
    let message = match outcome {
        Ok(MemberChange::Created) => format!("Account {shown_email} created and added as {role}."),
        Ok(MemberChange::Added) => format!("{shown_email} added as {role}."),
        Ok(MemberChange::RoleChanged) => format!("{shown_email} is now {role}."),
        Err(MemberError::PasswordRequired) => {
            errors.add(
                "password",
                "There is no account with this email yet: set a password for it (at least 8 characters).",
            );
            return render(&access, StatusCode::UNPROCESSABLE_ENTITY, form, errors).await;
        }
        Err(MemberError::LastOwner) => {
            errors.add(
                "role",
                "This is the store's only owner: make someone else owner first.",
            );
            return render(&access, StatusCode::UNPROCESSABLE_ENTITY, form, errors).await;
        }
        Err(MemberError::Db(e)) => return Err(e.into()),
    };
    flash(&access.session, FlashKind::Success, message)?;
    Ok(see_other(&format!("{}/members", access.base_path())))
}

pub async fn remove(
    access: StoreAccess<Owner>,
    path: web::Path<(String, i64)>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let (_, user) = path.into_inner();
    let store = access.store.id();
    let removed = crate::web::db(&access.state, move |conn| {
        Ok::<_, AppError>(db::stores::remove_member(conn, store, UserId(user)))
    })
    .await?;
    match removed {
        Ok(()) => flash(&access.session, FlashKind::Success, "Member removed.")?,
        Err(MemberError::LastOwner) => flash(
            &access.session,
            FlashKind::Error,
            "The store's only owner cannot be removed: make someone else owner first.",
        )?,
        Err(MemberError::Db(e)) => return Err(e.into()),
        Err(MemberError::PasswordRequired) => return Err(AppError::NotFound),
    }
    Ok(see_other(&format!("{}/members", access.base_path())))
}
