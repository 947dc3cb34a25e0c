//! Products: list, create, edit (the product's page is its form), archive.

use crate::app::products::{self as use_case, ProductError};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use crate::db::products::Product;
use crate::domain::ids::ProductId;
use crate::domain::product::ProductInput;
use crate::domain::role::Role;
use crate::error::AppError;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::extract::{Manager, MinRole, StoreAccess, Viewer};
use crate::web::forms::FormErrors;
use crate::web::layout::{Layout, Section};
use crate::web::session::{FlashKind, flash};
use crate::web::stores::form::Choices;
use crate::web::{render_status, see_other};

/// A product as the list shows it.
pub struct ProductRow {
    pub id: i64,
    pub name: String,
    pub price: String,
    pub billing: &'static str,
    pub archived: bool,
}

impl ProductRow {
    pub fn from(p: &Product) -> ProductRow {
        let price = p.currency.display(p.price);
        ProductRow {
            id: p.id,
            name: p.name.clone(),
            price,
            billing: p.billing().describe(),
            archived: p.archived_at.is_some(),
        }
    }
}

#[derive(Template)]
#[template(path = "products/list.html")]
struct ListPage {
    layout: Layout,
    base: String,
    products: Vec<ProductRow>,
    can_edit: bool,
}

pub async fn list(access: StoreAccess<Viewer>) -> Result<HttpResponse, AppError> {
    let store = access.store.clone();
    let products = crate::web::db(&access.state, move |conn| {
        crate::app::products::list(conn, &store)
    })
    .await?;
    let page = ListPage {
        layout: access.layout(Section::Products)?,
        base: access.base_path(),
        products: products.iter().map(ProductRow::from).collect(),
        can_edit: access.role >= Role::Manager,
    };
    render_status(StatusCode::OK, &page)
}

#[derive(Template)]
#[template(path = "products/form.html")]
struct FormPage {
    layout: Layout,
    base: String,
    /// The product being edited; `None` on the "new" page.
    product: Option<ProductRow>,
    form: ProductInput,
    errors: FormErrors,
    choices: Choices,
    can_edit: bool,
}

fn form_page<R: MinRole>(
    access: &StoreAccess<R>,
    status: StatusCode,
    product: Option<ProductRow>,
    form: ProductInput,
    errors: FormErrors,
) -> Result<HttpResponse, AppError> {
    let page = FormPage {
        layout: access.layout(Section::Products)?,
        base: access.base_path(),
        product,
        form,
        errors,
        choices: Choices::get(),
        can_edit: access.role >= Role::Manager,
    };
    render_status(status, &page)
}

pub async fn new(access: StoreAccess<Manager>) -> Result<HttpResponse, AppError> {
    let form = ProductInput::with_currency(access.store.currency.code());
    form_page(&access, StatusCode::OK, None, form, FormErrors::default())
}

pub async fn create(
    access: StoreAccess<Manager>,
    CsrfForm(form): CsrfForm<ProductInput>,
) -> Result<HttpResponse, AppError> {
    let store = access.store.clone();
    let input = form.clone();
    let created = crate::web::db(&access.state, move |conn| {
        Ok::<_, AppError>(use_case::create(conn, &store, &input))
    })
    .await?;
    match created {
        Ok(id) => {
            flash(&access.session, FlashKind::Success, "Product created.")?;
            Ok(see_other(&format!("{}/products/{id}", access.base_path())))
        }
        Err(ProductError::Invalid(errors)) => form_page(
            &access,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            form,
            errors,
        ),
        Err(e) => Err(product_error(e)),
    }
}

/// A product write error that is not the form's.
fn product_error(e: ProductError) -> AppError {
    match e {
        ProductError::NotFound => AppError::NotFound,
        ProductError::Db(e) => e.into(),
        ProductError::Invalid(errors) => AppError::BadRequest(errors.summary()),
    }
}

use crate::app::products::input_of;

async fn load<R: MinRole>(access: &StoreAccess<R>, id: i64) -> Result<Product, AppError> {
    let store = access.store.clone();
    crate::web::db(&access.state, move |conn| {
        crate::app::products::find(conn, &store, ProductId(id)).map_err(product_error)
    })
    .await
}

pub async fn show(
    access: StoreAccess<Viewer>,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AppError> {
    let product = load(&access, path.1).await?;
    form_page(
        &access,
        StatusCode::OK,
        Some(ProductRow::from(&product)),
        input_of(&product),
        FormErrors::default(),
    )
}

pub async fn update(
    access: StoreAccess<Manager>,
    path: web::Path<(String, i64)>,
    CsrfForm(form): CsrfForm<ProductInput>,
) -> Result<HttpResponse, AppError> {
    let store = access.store.clone();
    let id = ProductId(path.1);
    let input = form.clone();
    let saved = crate::web::db(&access.state, move |conn| {
        Ok::<_, AppError>(use_case::update(conn, &store, id, &input))
    })
    .await?;
    match saved {
        Ok(()) => {
            flash(&access.session, FlashKind::Success, "Product saved.")?;
            Ok(see_other(&format!("{}/products/{id}", access.base_path())))
        }
        Err(ProductError::Invalid(errors)) => {
            // Read again only to show the form.
            let product = load(&access, id.0).await?;
            let row = Some(ProductRow::from(&product));
            form_page(&access, StatusCode::UNPROCESSABLE_ENTITY, row, form, errors)
        }
        Err(e) => Err(product_error(e)),
    }
}

async fn set_archived(
    access: StoreAccess<Manager>,
    id: i64,
    archived: bool,
) -> Result<HttpResponse, AppError> {
    let store = access.store.clone();
    crate::web::db(&access.state, move |conn| {
        use_case::set_archived(conn, &store, ProductId(id), archived).map_err(product_error)
    })
    .await?;
    let message = if archived {
        "Product archived: it is hidden from checkout and from new coupons."
    } else {
        "Product unarchived."
    };
    flash(&access.session, FlashKind::Success, message)?;
    Ok(see_other(&format!("{}/products/{id}", access.base_path())))
}

pub async fn archive(
    access: StoreAccess<Manager>,
    path: web::Path<(String, i64)>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    set_archived(access, path.1, true).await
}

pub async fn unarchive(
    access: StoreAccess<Manager>,
    path: web::Path<(String, i64)>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    set_archived(access, path.1, false).await
}
