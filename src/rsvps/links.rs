//! The links an RSVP's emails carry: one to manage the RSVP, one to the supporter's
//! own feed. Each email mints its own, kept only as the SHA-256 of its token, so a
//! copy of the database opens nobody's RSVP or calendar; every link of an RSVP
//! works until it is erased or placed again after a cancellation.

use chrono::Utc;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::email::Site;
use crate::tokens::{hash_token, new_token};
use entity::{feed_link, rsvp_link};

/// Links minted for the emails of one transaction, written with them.
#[derive(Default)]
pub struct LinkBook {
    manage: Vec<rsvp_link::ActiveModel>,
    feeds: Vec<feed_link::ActiveModel>,
    /// RSVPs whose earlier links stop working.
    ended: Vec<Uuid>,
}

impl LinkBook {
    /// A new link to manage this RSVP: its token.
    pub fn manage_token(&mut self, rsvp_id: Uuid) -> String {
        let (token, token_hash) = new_token("");
        self.manage.push(rsvp_link::ActiveModel {
            token_hash: Set(token_hash),
            rsvp_id: Set(rsvp_id),
            created_at: Set(Utc::now()),
        });
        token
    }

    /// A new link to manage this RSVP.
    pub fn manage_url(&mut self, site: &Site, rsvp_id: Uuid) -> String {
        manage_url(&site.public_url, &self.manage_token(rsvp_id))
    }

    /// A new link to this supporter's own feed.
    pub fn feed_url(&mut self, site: &Site, supporter_id: Uuid) -> String {
        let (token, token_hash) = new_token("");
        self.feeds.push(feed_link::ActiveModel {
            token_hash: Set(token_hash),
            supporter_id: Set(supporter_id),
            created_at: Set(Utc::now()),
        });
        format!("{}/feeds/{token}/calendar.ics", site.public_url)
    }

    /// The links this RSVP had so far stop working (those minted after still work).
    pub fn end(&mut self, rsvp_id: Uuid) {
        self.ended.push(rsvp_id);
        self.manage.retain(|link| link.rsvp_id.as_ref() != &rsvp_id);
    }

    /// Write them, in the transaction of the emails that carry them.
    pub async fn write(self, db: &impl ConnectionTrait) -> Result<(), DbErr> {
        if !self.ended.is_empty() {
            end_rsvp_links(db, self.ended).await?;
        }
        crate::db::insert_in_chunks(db, self.manage).await?;
        crate::db::insert_in_chunks(db, self.feeds).await
    }
}

/// The link where a supporter manages their RSVP.
pub fn manage_url(public_url: &str, token: &str) -> String {
    format!("{public_url}/rsvps/{token}")
}

/// Every link to these RSVPs stops working.
pub async fn end_rsvp_links(
    db: &impl ConnectionTrait,
    rsvps: impl IntoIterator<Item = Uuid>,
) -> Result<(), DbErr> {
    rsvp_link::Entity::delete_many()
        .filter(rsvp_link::Column::RsvpId.is_in(rsvps))
        .exec(db)
        .await?;
    Ok(())
}

/// Every link to this supporter's feed stops working.
pub async fn end_feed_links(db: &impl ConnectionTrait, supporter_id: Uuid) -> Result<(), DbErr> {
    feed_link::Entity::delete_many()
        .filter(feed_link::Column::SupporterId.eq(supporter_id))
        .exec(db)
        .await?;
    Ok(())
}

/// The RSVP a manage link opens, if any.
pub async fn rsvp_of(db: &impl ConnectionTrait, token: &str) -> Result<Option<Uuid>, DbErr> {
    Ok(opened::<rsvp_link::Entity>(db, token)
        .await?
        .map(|link| link.rsvp_id))
}

/// The supporter whose feed a feed link opens, if any.
pub async fn feed_of(db: &impl ConnectionTrait, token: &str) -> Result<Option<Uuid>, DbErr> {
    Ok(opened::<feed_link::Entity>(db, token)
        .await?
        .map(|link| link.supporter_id))
}

/// The link a token opens, found by the hash it is kept as.
async fn opened<E>(db: &impl ConnectionTrait, token: &str) -> Result<Option<E::Model>, DbErr>
where
    E: EntityTrait,
    String: Into<<E::PrimaryKey as sea_orm::PrimaryKeyTrait>::ValueType>,
{
    if !plausible(token) {
        return Ok(None);
    }
    E::find_by_id(hash_token(token)).one(db).await
}

/// Tokens are 64 hexadecimal digits; anything else is answered without a query.
fn plausible(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())
}
