//! What `base.html` shows around every admin page: the user, the store and
//! its navigation, flash messages and the CSRF token for the logout form.

use actix_session::Session;

use super::session::{Flash, csrf_token, take_flashes};
use crate::db::stores::Store;
use crate::db::users::User;
use crate::domain::role::Role;
use crate::error::AppError;

/// The sections of a store, in navigation order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Overview,
    Coupons,
    PromotionCodes,
    CouponSets,
    Products,
    Customers,
    Orders,
    Analytics,
    Settings,
    Members,
    ApiKeys,
    Webhooks,
}

impl Section {
    pub const NAV: [Section; 11] = [
        Section::Coupons,
        Section::PromotionCodes,
        Section::CouponSets,
        Section::Products,
        Section::Customers,
        Section::Orders,
        Section::Analytics,
        Section::Settings,
        Section::Members,
        Section::ApiKeys,
        Section::Webhooks,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Section::Overview => "Overview",
            Section::Coupons => "Coupons",
            Section::PromotionCodes => "Promotion codes",
            Section::CouponSets => "Coupon sets",
            Section::Products => "Products",
            Section::Customers => "Customers",
            Section::Orders => "Orders",
            Section::Analytics => "Analytics",
            Section::Settings => "Settings",
            Section::Members => "Members",
            Section::ApiKeys => "API keys",
            Section::Webhooks => "Webhooks",
        }
    }

    /// The path below `/admin/s/{store}`.
    pub fn path(self) -> &'static str {
        match self {
            Section::Overview => "",
            Section::Coupons => "/coupons",
            Section::PromotionCodes => "/promotion-codes",
            Section::CouponSets => "/coupon-sets",
            Section::Products => "/products",
            Section::Customers => "/customers",
            Section::Orders => "/orders",
            Section::Analytics => "/analytics",
            Section::Settings => "/settings",
            Section::Members => "/members",
            Section::ApiKeys => "/api-keys",
            Section::Webhooks => "/webhooks",
        }
    }
}

pub struct NavItem {
    pub label: &'static str,
    pub href: String,
    pub active: bool,
}

pub struct StoreNav {
    pub slug: String,
    pub name: String,
    pub role: &'static str,
    pub items: Vec<NavItem>,
}

pub struct Layout {
    pub csrf_token: String,
    pub user_email: Option<String>,
    pub store: Option<StoreNav>,
    pub flashes: Vec<Flash>,
}

impl Layout {
    pub fn new(
        session: &Session,
        user: Option<&User>,
        store: Option<(&Store, Role, Section)>,
    ) -> Result<Layout, AppError> {
        let store = store.map(|(store, role, current)| StoreNav {
            slug: store.slug.clone(),
            name: store.name.clone(),
            role: role.label(),
            items: Section::NAV
                .iter()
                // API keys and webhooks are the owners' (SPEC 10, 11).
                .filter(|&&section| {
                    !matches!(section, Section::ApiKeys | Section::Webhooks) || role == Role::Owner
                })
                .map(|&section| NavItem {
                    label: section.label(),
                    href: format!("/admin/s/{}{}", store.slug, section.path()),
                    active: section == current,
                })
                .collect(),
        });
        Ok(Layout {
            csrf_token: csrf_token(session)?,
            user_email: user.map(|u| u.email.clone()),
            store,
            flashes: take_flashes(session),
        })
    }

    /// For pages outside the login (setup, login).
    pub fn anonymous(session: &Session) -> Result<Layout, AppError> {
        Layout::new(session, None, None)
    }
}
