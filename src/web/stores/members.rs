//! `/admin/s/{store}/members`: who can work in the store, and with which
//! role. Owners invite people by email and role (`app::members`): the page
//! shows the one-time link to hand over, and says the same thing whether or
//! not the email has an account. Owners also change roles, withdraw
//! invitations and remove members; a store always keeps an owner.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::app::members::{self as use_case, InviteError};
use crate::db::invitations::Pending;
use crate::db::stores::{Member, MemberError};
use crate::domain::email::Email;
use crate::domain::ids::UserId;
use crate::domain::role::Role;
use crate::domain::time;
use crate::error::AppError;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::extract::{MinRole, Owner, StoreAccess, Viewer};
use crate::web::forms::FormErrors;
use crate::web::layout::{Layout, Section};
use crate::web::session::{FlashKind, flash};
use crate::web::{render_status, see_other};

#[derive(Debug, Deserialize)]
#[serde(default)]
pub struct InviteForm {
    pub email: String,
    pub role: String,
}

impl Default for InviteForm {
    fn default() -> Self {
        InviteForm {
            email: String::new(),
            role: Role::Viewer.as_str().into(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RoleForm {
    pub role: String,
}

/// A just-created invitation, shown once with its link.
pub struct NewInvite {
    pub email: String,
    pub role: Role,
    pub url: String,
    pub expires: String,
}

pub struct PendingRow {
    pub id: i64,
    pub email: String,
    pub role: Role,
    pub expires: String,
}

#[derive(Template)]
#[template(path = "stores/members.html")]
struct MembersPage {
    layout: Layout,
    members: Vec<Member>,
    pending: Vec<PendingRow>,
    invited: Option<NewInvite>,
    form: InviteForm,
    errors: FormErrors,
    can_edit: bool,
    me: UserId,
    roles: [Role; 3],
}

async fn render<R: MinRole>(
    access: &StoreAccess<R>,
    status: StatusCode,
    form: InviteForm,
    errors: FormErrors,
    invited: Option<NewInvite>,
) -> Result<HttpResponse, AppError> {
    let store = access.store.id();
    let (members, pending) =
        crate::web::db(&access.state, move |conn| use_case::list(conn, store)).await?;
    let tz = access.store.timezone.tz();
    let pending = pending
        .into_iter()
        .map(|p: Pending| PendingRow {
            id: p.id,
            email: p.email,
            role: p.role,
            expires: time::display(p.expires_at, tz),
        })
        .collect();
    let page = MembersPage {
        layout: access.layout(Section::Members)?,
        members,
        pending,
        invited,
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
        InviteForm::default(),
        FormErrors::default(),
        None,
    )
    .await
}

/// `POST /admin/s/{store}/members`: invites `email` as `role` and shows the
/// link (a secret shown once, so the page is rendered, not redirected).
pub async fn invite(
    access: StoreAccess<Owner>,
    CsrfForm(form): CsrfForm<InviteForm>,
) -> Result<HttpResponse, AppError> {
    let mut errors = FormErrors::default();
    let email = errors.check("email", Email::parse(&form.email));
    let role = errors.check("role", Role::parse(&form.role));
    let (Some(email), Some(role)) = (email, role) else {
        return render(
            &access,
            StatusCode::UNPROCESSABLE_ENTITY,
            form,
            errors,
            None,
        )
        .await;
    };
    let store = access.store.id();
    let inviter = access.user.id();
    let shown_email = email.as_str().to_string();
    let outcome = crate::web::db(&access.state, move |conn| {
        Ok::<_, AppError>(use_case::invite(conn, store, inviter, &email, role))
    })
    .await?;
    let invited = match outcome {
        Ok(invited) => invited,
        Err(InviteError::AlreadyMember) => {
            errors.add(
                "email",
                "This email is a member already: change its role in the list above.",
            );
            return render(
                &access,
                StatusCode::UNPROCESSABLE_ENTITY,
                form,
                errors,
                None,
            )
            .await;
        }
        Err(InviteError::NoRandomness(e)) => return Err(AppError::internal(e)),
        Err(InviteError::Db(e)) => return Err(e.into()),
    };
    let new_invite = NewInvite {
        email: shown_email,
        role,
        url: format!(
            "{}/admin/invite/{}",
            access.state.default_base_url.trim_end_matches('/'),
            invited.token
        ),
        expires: time::display(invited.expires_at, access.store.timezone.tz()),
    };
    render(
        &access,
        StatusCode::OK,
        InviteForm::default(),
        FormErrors::default(),
        Some(new_invite),
    )
    .await
}

/// `POST /admin/s/{store}/members/{user_id}/role`.
pub async fn set_role(
    access: StoreAccess<Owner>,
    path: web::Path<(String, i64)>,
    CsrfForm(form): CsrfForm<RoleForm>,
) -> Result<HttpResponse, AppError> {
    let (_, user) = path.into_inner();
    let role = Role::parse(&form.role).map_err(AppError::BadRequest)?;
    let store = access.store.id();
    let changed = crate::web::db(&access.state, move |conn| {
        Ok::<_, AppError>(use_case::set_role(conn, store, UserId(user), role))
    })
    .await?;
    member_outcome(
        &access,
        changed,
        format!("Role changed to {}.", role.label()),
    )
}

/// `POST /admin/s/{store}/members/{user_id}/remove`.
pub async fn remove(
    access: StoreAccess<Owner>,
    path: web::Path<(String, i64)>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let (_, user) = path.into_inner();
    let store = access.store.id();
    let removed = crate::web::db(&access.state, move |conn| {
        Ok::<_, AppError>(use_case::remove(conn, store, UserId(user)))
    })
    .await?;
    member_outcome(&access, removed, "Member removed.".into())
}

fn member_outcome(
    access: &StoreAccess<Owner>,
    outcome: Result<(), MemberError>,
    success: String,
) -> Result<HttpResponse, AppError> {
    match outcome {
        Ok(()) => flash(&access.session, FlashKind::Success, success)?,
        Err(MemberError::LastOwner) => flash(
            &access.session,
            FlashKind::Error,
            "This is the store's only owner: make someone else owner first.",
        )?,
        Err(MemberError::NotMember) => return Err(AppError::NotFound),
        Err(MemberError::Db(e)) => return Err(e.into()),
    }
    Ok(see_other(&format!("{}/members", access.base_path())))
}

/// `POST /admin/s/{store}/members/invitations/{id}/revoke`.
pub async fn revoke(
    access: StoreAccess<Owner>,
    path: web::Path<(String, i64)>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let (_, id) = path.into_inner();
    let store = access.store.id();
    let revoked =
        crate::web::db(&access.state, move |conn| use_case::revoke(conn, store, id)).await?;
    if !revoked {
        return Err(AppError::NotFound);
    }
    flash(
        &access.session,
        FlashKind::Success,
        "Invitation withdrawn: its link no longer works.",
    )?;
    Ok(see_other(&format!("{}/members", access.base_path())))
}
