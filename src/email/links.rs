//! Links in emails that act without a login: signed with the site's secret, so
//! nobody can make one for someone else's address.

use hmac::{Hmac, Mac};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, PrimaryKeyTrait};
use sha2::Sha256;
use uuid::Uuid;

use super::Site;

/// Hex digits of the signature kept in a link: 128 bits.
const SIGNATURE_HEX: usize = 32;

fn mac(secret: &str, purpose: &str, id: Uuid) -> Hmac<Sha256> {
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(purpose.as_bytes());
    mac.update(b":");
    mac.update(id.as_bytes());
    mac
}

/// A token naming a supporter for one purpose: `{id}.{signature}`.
pub fn sign(secret: &str, purpose: &str, id: Uuid) -> String {
    let signature = hex::encode(mac(secret, purpose, id).finalize().into_bytes());
    format!("{id}.{}", &signature[..SIGNATURE_HEX])
}

/// The id a token names, if its signature is right (compared in constant time).
pub fn verify(secret: &str, purpose: &str, token: &str) -> Option<Uuid> {
    let (id, signature) = token.split_once('.')?;
    let id = Uuid::parse_str(id).ok()?;
    let signature = hex::decode(signature).ok()?;
    if signature.len() * 2 != SIGNATURE_HEX {
        return None;
    }
    mac(secret, purpose, id)
        .verify_truncated_left(&signature)
        .ok()
        .map(|()| id)
}

const UNSUBSCRIBE: &str = "unsubscribe";

/// The one-click unsubscribe link of a supporter (RFC 8058).
pub fn unsubscribe_url(site: &Site, supporter_id: Uuid) -> String {
    format!(
        "{}/unsubscribe/{}",
        site.public_url,
        sign(&site.secret, UNSUBSCRIBE, supporter_id)
    )
}

/// The supporter an unsubscribe token names.
pub fn unsubscribe_token(site: &Site, token: &str) -> Option<Uuid> {
    verify(&site.secret, UNSUBSCRIBE, token)
}

/// The row a token names and the row that one belongs to (a signature and its
/// petition, a donation and its fundraiser), when the token's signature is right
/// and both still exist: what a page a link leads to shows before anything is
/// done, and a link that names nothing shows nothing.
pub async fn linked<E, Of>(
    db: &impl ConnectionTrait,
    secret: &str,
    purpose: &str,
    token: &str,
    of: impl FnOnce(&E::Model) -> Uuid,
) -> Result<Option<(E::Model, Of::Model)>, DbErr>
where
    E: EntityTrait,
    Of: EntityTrait,
    Uuid: Into<<E::PrimaryKey as PrimaryKeyTrait>::ValueType>
        + Into<<Of::PrimaryKey as PrimaryKeyTrait>::ValueType>,
{
    let Some(id) = verify(secret, purpose, token) else {
        return Ok(None);
    };
    let Some(row) = E::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    let owner = Of::find_by_id(of(&row)).one(db).await?;
    Ok(owner.map(|owner| (row, owner)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_verifies_only_with_its_secret_and_purpose() {
        let id = Uuid::now_v7();
        let token = sign("s3cret", "unsubscribe", id);
        assert_eq!(verify("s3cret", "unsubscribe", &token), Some(id));
        assert_eq!(verify("other", "unsubscribe", &token), None);
        assert_eq!(verify("s3cret", "confirm", &token), None);
        let other = Uuid::now_v7();
        let forged = format!("{other}{}", &token[36..]);
        assert_eq!(verify("s3cret", "unsubscribe", &forged), None);
        assert_eq!(verify("s3cret", "unsubscribe", "nonsense"), None);
        assert_eq!(verify("s3cret", "unsubscribe", &token[..40]), None);
    }
}
