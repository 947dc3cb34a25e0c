//! `/coupon-sets/{id}/codes.csv`: every code of a set, streamed in chunks
//! read one after another, so memory stays flat at any size.

use actix_web::web::Bytes;
use actix_web::{HttpResponse, web};
use futures_util::{StreamExt, stream};

use crate::domain::csv::cell;
use crate::domain::ids::CouponSetId;
use crate::domain::time;
use crate::error::AppError;
use crate::web::extract::{StoreAccess, Viewer};
use crate::web::share::share_url;

const CHUNK: i64 = 5_000;

pub async fn codes_csv(
    access: StoreAccess<Viewer>,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AppError> {
    let store = access.store.clone();
    let id = CouponSetId(path.1);
    let set = crate::web::db(&access.state, move |conn| {
        crate::app::coupon_sets::find(conn, &store, id)
    })
    .await?;
    let state = access.state.clone();
    let tz = access.store.timezone.tz();
    let base = access.share_base();
    let slug = access.store.slug.clone();
    let header = Bytes::from_static(b"code,state,used_at,order_id,url\n");
    // State: the last id sent, or None once the set is exhausted.
    let body = stream::unfold(Some(0i64), move |after| {
        let state = state.clone();
        let base = base.clone();
        let slug = slug.clone();
        async move {
            let after = after?;
            let rows = match crate::web::db(&state, move |conn| {
                crate::app::coupon_sets::export_chunk(conn, id, after, CHUNK)
            })
            .await
            {
                Ok(rows) => rows,
                Err(e) => return Some((Err(e), None)),
            };
            let last = rows.last().map(|r| r.id)?;
            let mut text = String::with_capacity(rows.len() * 80);
            for r in &rows {
                let used_at = r.used_at.map(|t| time::to_input(t, tz)).unwrap_or_default();
                let order = r.order_id.map(|o| o.to_string()).unwrap_or_default();
                text.push_str(&format!(
                    "{},{},{},{},{}\n",
                    cell(&r.code),
                    cell(r.state.as_str()),
                    used_at,
                    order,
                    cell(&share_url(&base, &slug, &r.code))
                ));
            }
            let more = rows.len() as i64 == CHUNK;
            Some((Ok::<_, AppError>(Bytes::from(text)), more.then_some(last)))
        }
    });
    let filename = format!(
        "{}-codes.csv",
        set.name.replace(|c: char| !c.is_ascii_alphanumeric(), "-")
    );
    Ok(crate::web::csv_attachment(
        &filename,
        stream::once(async move { Ok::<_, AppError>(header) }).chain(body),
    ))
}
