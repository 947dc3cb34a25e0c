//! `/api/v1/coupon_sets`: bulk single-use codes, through
//! `app::coupon_sets`.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::listing::filters;
use super::objects::{CodeImportObject, CouponSetObject, DeletedObject, SetCodeObject};
use super::{Api, ApiError, ApiJson, List, Listing, Read, Write, path_id};
use crate::app::coupon_sets::{self as use_case, SetError};
use crate::domain::coupon_set::SetInput;
use crate::domain::ids::CouponSetId;
use crate::domain::status::SetCodeState;

/// A set of `count` single-use codes of coupon `coupon_id`, generated in the
/// background.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CouponSetRequest)]
pub struct SetBody {
    pub name: String,
    pub coupon_id: i64,
    pub count: u64,
    #[serde(default)]
    pub prefix: Option<String>,
    #[serde(default)]
    pub code_length: Option<u32>,
}

/// `{"count": N}` generates more; `{"codes": [...]}` imports.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CodesRequest)]
pub struct CodesBody {
    #[serde(default)]
    pub count: Option<u64>,
    #[serde(default)]
    pub codes: Option<Vec<String>>,
}

fn error(e: SetError) -> ApiError {
    match e {
        SetError::Invalid(errors) => ApiError::invalid(&errors),
        SetError::NotFound => ApiError::NotFound,
        SetError::Db(e) => e.into(),
    }
}

/// 201 when the codes are all there, 202 while they generate.
fn set_response(set: crate::db::coupon_sets::SetRow, done: bool) -> HttpResponse {
    let object = CouponSetObject::new(set);
    if done {
        super::created(&object)
    } else {
        HttpResponse::Accepted().json(object)
    }
}

filters!(
    /// `GET /coupon_sets` reads `coupon`.
    pub SetFilters: coupon "integer" "The sets of this coupon (its id)."
);

/// `GET /api/v1/coupon_sets?coupon=`
pub async fn list(api: Api<Read>, params: Listing<SetFilters>) -> Result<HttpResponse, ApiError> {
    let coupon = params.coupon()?;
    let mut sets = api
        .db(|conn, store| Ok(use_case::list(conn, store)?))
        .await?;
    sets.retain(|s| coupon.is_none_or(|c| s.coupon_id == c));
    let page = params.page_in_memory(sets, |s| s.id)?;
    Ok(super::ok(&List::of(page, CouponSetObject::new)))
}

/// `GET /api/v1/coupon_sets/{id}`: with `status` and `progress` while it
/// generates.
pub async fn show(api: Api<Read>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = CouponSetId(path_id(&path)?);
    let set = api
        .db(move |conn, store| use_case::find(conn, store, id).map_err(error))
        .await?;
    Ok(super::ok(&CouponSetObject::new(set)))
}

/// `POST /api/v1/coupon_sets`: 201 with the codes made, or 202
/// `generating` for a large count.
pub async fn create(api: Api<Write>, body: ApiJson<SetBody>) -> Result<HttpResponse, ApiError> {
    let jobs = api.state.jobs.clone();
    let (set, done) = api
        .db(move |conn, store| {
            let b = body.value;
            let defaults = SetInput::default();
            let input = SetInput {
                name: b.name,
                coupon_id: b.coupon_id.to_string(),
                count: b.count.to_string(),
                prefix: b.prefix.unwrap_or(defaults.prefix),
                code_length: b
                    .code_length
                    .map(|l| l.to_string())
                    .unwrap_or(defaults.code_length),
            };
            let run = use_case::create(conn, &jobs, store, &input).map_err(error)?;
            let id = run.set;
            let done = use_case::start(conn, &jobs, run)?;
            Ok((use_case::find(conn, store, id).map_err(error)?, done))
        })
        .await?;
    Ok(set_response(set, done))
}

/// `DELETE /api/v1/coupon_sets/{id}`: unused codes go, used ones are kept.
pub async fn delete(api: Api<Write>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = CouponSetId(path_id(&path)?);
    api.db(move |conn, store| use_case::delete(conn, store, id).map_err(error))
        .await?;
    Ok(super::ok(&DeletedObject::new("coupon_set", id.0)))
}

/// `POST /api/v1/coupon_sets/{id}/codes`
pub async fn add_codes(
    api: Api<Write>,
    path: web::Path<String>,
    body: ApiJson<CodesBody>,
) -> Result<HttpResponse, ApiError> {
    let id = CouponSetId(path_id(&path)?);
    let jobs = api.state.jobs.clone();
    match (body.value.count, body.value.codes) {
        (Some(count), None) => {
            let (set, done) = api
                .db(move |conn, store| {
                    let run = use_case::add_codes(conn, &jobs, store, id, &count.to_string())
                        .map_err(error)?;
                    let done = use_case::start(conn, &jobs, run)?;
                    Ok((use_case::find(conn, store, id).map_err(error)?, done))
                })
                .await?;
            Ok(set_response(set, done))
        }
        (None, Some(codes)) => {
            let report = api
                .db(move |conn, store| {
                    use_case::import_codes(conn, store, id, &codes).map_err(error)
                })
                .await?;
            Ok(super::ok(&CodeImportObject::new(report)))
        }
        _ => Err(ApiError::invalid_param(
            "count",
            "Send either {\"count\": N} to generate codes or {\"codes\": [...]} to import them.",
        )),
    }
}

filters!(
    /// `GET /coupon_sets/{id}/codes` reads `state`.
    pub CodeFilters: state "string" "unused, used or archived."
);

/// `GET /api/v1/coupon_sets/{id}/codes?state=unused|used|archived`
pub async fn codes(
    api: Api<Read>,
    path: web::Path<String>,
    params: Listing<CodeFilters>,
) -> Result<HttpResponse, ApiError> {
    let id = CouponSetId(path_id(&path)?);
    let state = params.state(SetCodeState::parse)?;
    let (cursor, limit) = (params.cursor()?, params.limit()?);
    let page = api
        .db(move |conn, store| {
            use_case::codes(
                conn,
                store,
                id,
                state.map(SetCodeState::as_str),
                cursor,
                limit,
            )
            .map_err(error)
        })
        .await?;
    Ok(super::ok(&List::of(page, SetCodeObject::new)))
}
