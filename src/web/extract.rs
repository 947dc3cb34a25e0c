//! Extractors that resolve who is asking: `CurrentUser` for any logged-in
//! page, `StoreAccess<R>` for every page under `/admin/s/{store}`. A
//! non-member gets 404 (exactly as for a store that does not exist) and a
//! member whose role is below `R` gets 403.

use std::marker::PhantomData;

use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use super::AppState;
use super::layout::{Layout, Section};
use crate::db;
use crate::db::stores::Store;
use crate::db::users::User;
use crate::domain::role::Role;
use crate::error::AppError;

fn state(req: &HttpRequest) -> Result<AppState, AppError> {
    req.app_data::<web::Data<AppState>>()
        .map(|data| data.get_ref().clone())
        .ok_or_else(|| AppError::BadRequest("application state is missing".into()))
}

/// The logged-in staff member.
pub struct CurrentUser {
    pub user: User,
    pub session: Session,
    pub state: AppState,
}

impl CurrentUser {
    pub fn layout(&self) -> Result<Layout, AppError> {
        Layout::new(&self.session, Some(&self.user), None)
    }
}

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let session = req.get_session();
        let state = state(req);
        Box::pin(async move {
            let state = state?;
            let sid = super::session::session_id(&session)?.ok_or(AppError::LoginRequired)?;
            let user = super::db(&state, move |conn| {
                crate::app::accounts::session_user(conn, &sid)
            })
            .await?
            .ok_or(AppError::LoginRequired)?;
            Ok(CurrentUser {
                user,
                session,
                state,
            })
        })
    }
}

/// The least role a handler needs, as a type: `StoreAccess<Manager>`.
pub trait MinRole {
    const ROLE: Role;
    const WHY: &'static str;
}

/// Any member: owner, manager or viewer.
pub struct Viewer;
pub struct Manager;
pub struct Owner;

impl MinRole for Viewer {
    const ROLE: Role = Role::Viewer;
    const WHY: &'static str = "only members of this store can see it";
}
impl MinRole for Manager {
    const ROLE: Role = Role::Manager;
    const WHY: &'static str = "changes need the manager or owner role";
}
impl MinRole for Owner {
    const ROLE: Role = Role::Owner;
    const WHY: &'static str = "only owners can change store settings and members";
}

/// The store named by the `{store}` path segment, with the logged-in user's
/// role in it, which is at least `R`.
pub struct StoreAccess<R: MinRole = Viewer> {
    pub user: User,
    pub store: Store,
    pub role: Role,
    pub session: Session,
    pub state: AppState,
    _role: PhantomData<R>,
}

impl<R: MinRole> StoreAccess<R> {
    pub fn layout(&self, section: Section) -> Result<Layout, AppError> {
        Layout::new(
            &self.session,
            Some(&self.user),
            Some((&self.store, self.role, section)),
        )
    }

    /// The same access, for a handler that renders a page any member may see.
    pub fn as_viewer(self) -> StoreAccess<Viewer> {
        StoreAccess {
            user: self.user,
            store: self.store,
            role: self.role,
            session: self.session,
            state: self.state,
            _role: PhantomData,
        }
    }

    /// The base of this store's shareable URLs and receipts: its own
    /// `public_base_url`, or the server's address.
    pub fn share_base(&self) -> String {
        super::share::base_url(
            self.store.public_base_url.as_deref(),
            &self.state.default_base_url,
        )
    }

    /// Who the activity logs name for this user's changes.
    pub fn actor(&self) -> crate::domain::ids::Actor {
        crate::domain::ids::Actor::Staff(self.user.id())
    }

    /// The admin path of this store, e.g. `/admin/s/my-store`.
    pub fn base_path(&self) -> String {
        format!("/admin/s/{}", self.store.slug)
    }
}

impl<R: MinRole + 'static> FromRequest for StoreAccess<R> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let session = req.get_session();
        let state = state(req);
        let slug = req.match_info().get("store").map(str::to_owned);
        Box::pin(async move {
            let state = state?;
            let slug = slug.ok_or(AppError::NotFound)?;
            let sid = super::session::session_id(&session)?.ok_or(AppError::LoginRequired)?;
            let found = super::db(&state, move |conn| {
                let Some(user) = crate::app::accounts::session_user(conn, &sid)? else {
                    return Ok::<_, db::DbError>(None);
                };
                let membership = crate::app::stores::membership(conn, &slug, user.id())?;
                Ok(Some((user, membership)))
            })
            .await?;
            let (user, membership) = found.ok_or(AppError::LoginRequired)?;
            let (store, role) = membership.ok_or(AppError::NotFound)?;
            if role < R::ROLE {
                return Err(AppError::Forbidden(R::WHY));
            }
            Ok(StoreAccess {
                user,
                store,
                role,
                session,
                state,
                _role: PhantomData,
            })
        })
    }
}
