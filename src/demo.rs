//! The demo data set: the organisations and events of a Venezuela solidarity
//! campaign, dated from today so they are always upcoming. It goes through the same
//! services as the API, so the demo obeys the same rules.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};

use crate::{
    access::{Access, access_of},
    campaigns::{Campaigns, NewCampaign},
    domain::Email,
    domain::PublicRef,
    events::{
        EventError, Events,
        service::{Event, EventKind, Location, NewEvent, RsvpMode},
    },
    http::ApiError,
    organisations::{Organisations, service::NewOrganisation},
};

/// The organiser who owns the demo organisations; `turnout admin create-token
/// --email organiser@example.org` gives a token to try the organiser API with.
pub const DEMO_ORGANISER: &str = "organiser@example.org";

/// Load the demo data when the database has no organisation yet. Returns whether
/// it loaded anything.
pub async fn load_if_empty(
    db: &DatabaseConnection,
    site: &crate::email::Site,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    if entity::organisation::Entity::find().count(db).await? > 0 {
        return Ok(false);
    }
    load(db, site, now)
        .await
        .map_err(|e| anyhow::anyhow!("demo data: {e:?}"))?;
    tracing::info!(organiser = DEMO_ORGANISER, "demo data loaded");
    Ok(true)
}

async fn load(
    db: &DatabaseConnection,
    site: &crate::email::Site,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let organisations = Organisations::new(db.clone(), site.clone());
    for (slug, name, zone) in [
        (
            "hands-off-venezuela",
            "Hands Off Venezuela",
            "Europe/London",
        ),
        (
            "societe-bolivarienne-du-quebec",
            "Société Bolivarienne du Québec",
            "America/Montreal",
        ),
        (
            "louis-riel-bolivarian-circle",
            "Louis Riel Bolivarian Circle",
            "America/Toronto",
        ),
    ] {
        let new = NewOrganisation::parse(slug, name, zone, DEMO_ORGANISER)?;
        organisations.bootstrap(new).await?;
    }
    let email = Email::parse(DEMO_ORGANISER)?;
    let organiser_id = entity::organiser::Entity::find()
        .filter(entity::organiser::Column::EmailKey.eq(email.key()))
        .one(db)
        .await?
        .map(|o| o.id)
        .unwrap_or_default();
    let access = access_of(db, organiser_id).await?;
    let today = now.date_naive();
    let day = |n: i64| (today + Duration::days(n)).format("%Y-%m-%d").to_string();
    let at = |n: i64, time: &str| format!("{}T{time}", day(n));
    let rsvps = crate::rsvps::Rsvps::new(db.clone(), site.clone());
    let events = Events::new(db.clone(), std::sync::Arc::new(rsvps));

    Campaigns::new(db.clone())
        .create(
            &access,
            NewCampaign {
                organisation: Some("hands-off-venezuela".into()),
                slug: Some("hands-off-venezuela".into()),
                title: "Hands Off Venezuela".into(),
                description: "Solidarity with the Venezuelan revolution: against sanctions, \
                          coups and foreign intervention, for workers' control."
                    .into(),
                status: None,
            },
        )
        .await?;

    let base = |organisation: &str, kind: EventKind, title: &str, zone: &str| NewEvent {
        organisation: Some(organisation.into()),
        // The campaign is Hands Off Venezuela's; the others host its events as guests.
        campaign: (organisation == "hands-off-venezuela").then(|| "hands-off-venezuela".into()),
        hosts: vec![],
        slug: None,
        kind,
        title: title.into(),
        summary: String::new(),
        description: String::new(),
        language: Some("en".into()),
        timezone: Some(zone.into()),
        starts_at: String::new(),
        ends_at: String::new(),
        all_day: false,
        location: None,
        online_url: None,
        parent_id: None,
        capacity: None,
        waitlist: false,
        rsvp_mode: None,
        rsvp_closes_at: None,
        visibility: None,
    };
    let place = |venue: &str,
                 address: &str,
                 locality: &str,
                 region: &str,
                 country: &str,
                 lat: f64,
                 lon: f64| {
        Some(Location {
            venue: Some(venue.into()),
            address: Some(address.into()),
            locality: Some(locality.into()),
            region: Some(region.into()),
            postal_code: None,
            country: Some(country.into()),
            latitude: Some(lat),
            longitude: Some(lon),
        })
    };
    // The forum and its workshops are all at UQAM, room by room.
    let uqam = |room: &str| {
        place(
            room,
            "405 rue Sainte-Catherine Est",
            "Montréal",
            "QC",
            "CA",
            45.5149,
            -73.5606,
        )
    };
    // Each event is made as a draft, then published, as an organiser would.
    let publish = async |new: NewEvent| -> Result<Event, EventError> {
        let draft = events.create(&access, new).await?;
        events.publish(&access, &PublicRef::Id(draft.row.id)).await
    };

    publish(NewEvent {
        hosts: vec!["hands-off-venezuela".into()],
        summary: "The Toronto premiere of a documentary on Venezuela's occupied factories \
                  and the workers who run them."
            .into(),
        description: "Workers at occupied factories across Venezuela tell how they took over \
                      production and run it under **workers' control**.\n\n\
                      Followed by a discussion with the filmmakers. Free entry; donations \
                      welcome for the workers' fighting fund."
            .into(),
        starts_at: at(10, "19:00"),
        ends_at: at(10, "21:30"),
        location: place(
            "OISE Auditorium",
            "252 Bloor St W",
            "Toronto",
            "ON",
            "CA",
            43.6677,
            -79.3985,
        ),
        capacity: Some(150),
        waitlist: true,
        ..base(
            "louis-riel-bolivarian-circle",
            EventKind::Screening,
            "Toronto premiere: occupied factories and workers' control",
            "America/Toronto",
        )
    })
    .await?;

    let forum = publish(NewEvent {
        hosts: vec!["hands-off-venezuela".into()],
        summary: "Five days of workshops, debates and culture on the struggles of the Americas."
            .into(),
        starts_at: day(20),
        ends_at: day(24),
        all_day: true,
        language: Some("fr".into()),
        location: uqam("UQAM, pavillon Judith-Jasmin"),
        ..base(
            "societe-bolivarienne-du-quebec",
            EventKind::PublicMeeting,
            "Forum social de Montréal",
            "America/Montreal",
        )
    })
    .await?;

    publish(NewEvent {
        parent_id: Some(forum.row.id.to_string()),
        summary: "What the Bolivarian Revolution achieved, what it did not, and what the \
                  press gets wrong."
            .into(),
        starts_at: at(21, "14:00"),
        ends_at: at(21, "16:00"),
        capacity: Some(60),
        location: uqam("UQAM, salle J-1120"),
        ..base(
            "societe-bolivarienne-du-quebec",
            EventKind::Workshop,
            "The Bolivarian Revolution: the truth and the myth",
            "America/Montreal",
        )
    })
    .await?;

    publish(NewEvent {
        summary: "Report-back from Venezuela and the campaign against sanctions.".into(),
        starts_at: at(7, "19:00"),
        ends_at: at(7, "21:00"),
        location: place(
            "Conway Hall",
            "25 Red Lion Square",
            "London",
            "England",
            "GB",
            51.5200,
            -0.1186,
        ),
        online_url: Some("https://meet.example.org/hands-off-venezuela".into()),
        ..base(
            "hands-off-venezuela",
            EventKind::PublicMeeting,
            "Hands Off Venezuela: report-back meeting",
            "Europe/London",
        )
    })
    .await?;

    publish(NewEvent {
        language: Some("es".into()),
        summary: "Trabajadores, comuneros y delegados internacionales debaten el control obrero."
            .into(),
        starts_at: at(14, "18:00"),
        ends_at: at(14, "20:30"),
        location: place(
            "Teatro Teresa Carreño",
            "Av. Paseo Colón",
            "Caracas",
            "Distrito Capital",
            "VE",
            10.5006,
            -66.8996,
        ),
        ..base(
            "hands-off-venezuela",
            EventKind::PublicMeeting,
            "Asamblea pública: control obrero y revolución bolivariana",
            "America/Caracas",
        )
    })
    .await?;

    let (first, last) = (30, 37);
    let delegation = publish(NewEvent {
        summary: "Eight days in Venezuela: occupied factories, communes, elections.".into(),
        description: "A delegation to see the Bolivarian process for yourself. Places are \
                      limited: apply, and the organisers will confirm."
            .into(),
        starts_at: day(first),
        ends_at: day(last),
        all_day: true,
        capacity: Some(20),
        rsvp_mode: Some(RsvpMode::Approval),
        location: place(
            "Caracas",
            "",
            "Caracas",
            "Distrito Capital",
            "VE",
            10.4806,
            -66.9036,
        ),
        ..base(
            "hands-off-venezuela",
            EventKind::Delegation,
            "Delegation to Caracas",
            "America/Caracas",
        )
    })
    .await?;
    let itinerary = [
        (
            first + 2,
            "09:00",
            "15:00",
            "Visit to an occupied factory in Maracay",
            "Maracay",
            "Aragua",
            10.2469,
            -67.5958,
        ),
        (
            first + 4,
            "08:00",
            "13:00",
            "Tour of polling stations",
            "Caracas",
            "Distrito Capital",
            10.4806,
            -66.9036,
        ),
        (
            first + 6,
            "18:00",
            "20:30",
            "Public meeting with the delegation",
            "Caracas",
            "Distrito Capital",
            10.5006,
            -66.8996,
        ),
    ];
    for (offset, start, end, title, locality, region, lat, lon) in itinerary {
        publish(NewEvent {
            parent_id: Some(delegation.row.id.to_string()),
            starts_at: at(offset, start),
            ends_at: at(offset, end),
            location: place(locality, "", locality, region, "VE", lat, lon),
            ..base(
                "hands-off-venezuela",
                EventKind::Delegation,
                title,
                "America/Caracas",
            )
        })
        .await?;
    }

    // A petition addressed to the Mexican authorities, open for a month.
    use crate::petitions::service::{FieldRule, FieldRules, NewPetition};
    let petitions = crate::petitions::Petitions::new(db.clone(), site.clone());
    let petition = petitions
        .create(
            &access,
            NewPetition {
                organisation: Some("hands-off-venezuela".into()),
                campaign: Some("hands-off-venezuela".into()),
                slug: Some("stop-the-attacks-against-clep-cedep".into()),
                title: "Stop the attacks against CLEP-CEDEP".into(),
                target: "the Mexican authorities: the President of Mexico and the Secretariat \
                     of the Interior (SEGOB)"
                    .into(),
                body: "The **CLEP-CEDEP** (Centro Latinoamericano de Estudios Políticos) has \
                   suffered repeated attacks and threats against its members and its \
                   premises.\n\nWe call on the Mexican authorities to **investigate \
                   these attacks**, to guarantee the safety of its members, and to \
                   protect the freedom to organise and to teach."
                    .into(),
                language: Some("en".into()),
                goal: Some(5_000),
                closes_at: Some(now + Duration::days(30)),
                require_confirmation: Some(true),
                fields: Some(FieldRules {
                    affiliation: FieldRule::Optional,
                    postal_code: FieldRule::Off,
                    country: FieldRule::Optional,
                    comment: FieldRule::Optional,
                }),
            },
        )
        .await?;
    petitions
        .publish(&access, &crate::domain::PublicRef::Id(petition.item.id))
        .await?;
    fighting_fund(db, site, &access, now).await
}

/// An appeal for the workers of an occupied factory, with its goal in pounds and
/// gifts collected by hand in other currencies.
async fn fighting_fund(
    db: &DatabaseConnection,
    site: &crate::email::Site,
    access: &Access,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    use crate::domain::PublicRef;
    use crate::fundraisers::{
        Fundraisers,
        donations::OfflineGift,
        service::{
            Amount,
            DonationMethod::{BankTransfer, Cash},
            FundraiserStatus, NewFundraiser,
        },
    };

    let fundraisers = Fundraisers::new(db.clone(), site.clone(), Default::default());
    let fund = fundraisers
        .create(
            access,
            NewFundraiser {
                organisation: Some("hands-off-venezuela".into()),
                campaign: Some("hands-off-venezuela".into()),
                slug: Some("inveval-workers-fighting-fund".into()),
                title: "Fighting fund for the workers of the occupied Inveval factory".into(),
                description: "The workers of **Inveval**, a valve factory in Carabobo, occupied \
                              their plant when its owners locked them out, and have run it \
                              under workers' control ever since.\n\nTheir fighting fund pays \
                              for legal costs, raw materials and the wages of workers on the \
                              picket line. Every pound goes to them."
                    .into(),
                language: Some("en".into()),
                goal: Some(Amount::new(500_000, "GBP")),
                suggested_amounts: Some(vec![1_000, 2_500, 5_000, 10_000]),
                min_amount: None,
                max_amount: None,
            },
        )
        .await?;
    let fund = PublicRef::Id(fund.row.id);
    fundraisers
        .move_to(access, &fund, FundraiserStatus::Open)
        .await?;
    // Who gave, how much in minor units of which currency, how, and how many days ago.
    let gifts = [
        (
            "Unite the Union, London branch",
            25_000,
            "GBP",
            BankTransfer,
            6,
        ),
        ("Collection at the Toronto screening", 8_550, "CAD", Cash, 4),
        ("CGT Metal, Barcelona", 15_000, "EUR", BankTransfer, 3),
        (
            "Collection at the London public meeting",
            4_000,
            "GBP",
            Cash,
            2,
        ),
    ];
    for (donor, minor, currency, method, days_ago) in gifts {
        fundraisers
            .record_offline(
                access,
                &fund,
                OfflineGift {
                    amount: Amount::new(minor, currency),
                    method,
                    donor_name: Some(donor.into()),
                    donor_email: None,
                    received_at: now - Duration::days(days_ago),
                    note: None,
                    anonymous: false,
                    send_receipt: false,
                    locale: None,
                },
            )
            .await?;
    }
    Ok(())
}
