//! Who may write which part of an inspection: the one rule the server applies to every merged
//! change (sync and review pages alike) and the device applies before it makes an edit, like
//! CouchDB's `validate_doc_update(new, old, user)`.
//!
//! An inspection has four parts, each with its writers:
//! - the **header** (id, kind, agency, subject, inspector, catalog, started_at, follows) is
//!   written once, by its inspector, when the inspection is created, and frozen after that;
//! - the **content** (findings, notes, photos, GPS, volumes, products, the draw's seed, the
//!   end time) and the **signatures** only by the inspection's inspector, and the content only
//!   while the inspection is a draft or returned for amendment;
//! - the **reviews** only grow, each new one by the acting user themself (`by.id`), who holds
//!   a reviewing role and is not the inspector;
//! - the **status** moves only along the workflow, each step by the user it belongs to.
//!
//! A user creates only the kinds of inspection their role makes ([`Role::makes`]).

use crate::document::{Inspection, InspectionKind, SignerRole, Status};

/// What a user may do in the agency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Sanitarian,
    HaulerSamplerEvaluator,
    RatingOfficer,
    Supervisor,
    Admin,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Sanitarian,
        Role::HaulerSamplerEvaluator,
        Role::RatingOfficer,
        Role::Supervisor,
        Role::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Sanitarian => "sanitarian",
            Role::HaulerSamplerEvaluator => "hauler_sampler_evaluator",
            Role::RatingOfficer => "rating_officer",
            Role::Supervisor => "supervisor",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Who reviews (accepts or returns) submitted inspections.
    pub fn reviews(self) -> bool {
        matches!(self, Role::Supervisor | Role::RatingOfficer)
    }

    /// Who records inspections in the field (of some kind).
    pub fn inspects(self) -> bool {
        InspectionKind::ALL.into_iter().any(|k| self.makes(k))
    }

    /// The kinds of inspection this role makes: sanitarians (and their supervisors) routine
    /// inspections and reinspections of farms and plants; hauler/sampler evaluators the
    /// evaluations (MMSR L281-287); rating officers the rating visits and rating reports.
    pub fn makes(self, kind: InspectionKind) -> bool {
        use InspectionKind as K;
        match self {
            Role::Sanitarian | Role::Supervisor => {
                matches!(kind, K::RoutineFarm | K::Plant | K::Reinspection)
            }
            Role::HaulerSamplerEvaluator => kind == K::HaulerSampler,
            Role::RatingOfficer => matches!(
                kind,
                K::RatingVisitFarm | K::RatingVisitPlant | K::RatingReport
            ),
            Role::Admin => false,
        }
    }
}

/// The user a change is made by, as the agency's accounts know them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Acting<'a> {
    pub user_id: &'a str,
    /// The account's name (never a name typed into a document).
    pub name: &'a str,
    pub role: Role,
    pub agency: &'a str,
}

/// The rule a change broke. The text is for the person who made it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the inspection belongs to agency {0}, not yours")]
    OtherAgency(String),
    #[error("a {role} does not make {kind} inspections")]
    KindNotForRole {
        role: &'static str,
        kind: &'static str,
    },
    #[error("an inspection is created by its own inspector")]
    CreatedForAnother,
    #[error("the inspector's name must be the account's name ({0})")]
    NameNotAccount(String),
    #[error("a new inspection carries no reviews")]
    ReviewedAtCreation,
    #[error("the inspection's {0} is fixed when it is created and cannot change")]
    HeaderChanged(&'static str),
    #[error("only the inspector changes an inspection's findings, notes, photos and signatures")]
    ContentByOther,
    #[error("the findings are locked while the inspection is {0}")]
    ContentLocked(&'static str),
    #[error("the inspector signs under the inspection's inspector name")]
    SignatureName,
    #[error("the report's deliveries are recorded by the inspector and never changed or removed")]
    DeliveriesRewritten,
    #[error("reviews are never changed or removed, only added")]
    ReviewsRewritten,
    #[error("a review names the user who makes it")]
    ReviewForAnother,
    #[error("only a supervisor or rating officer reviews an inspection")]
    NotAReviewer,
    #[error("the inspector does not review their own inspection")]
    OwnReview,
    #[error("a review decides a submitted inspection; its status must move with it")]
    ReviewWithoutDecision,
    #[error("{role} cannot move an inspection from {from} to {to}")]
    Transition {
        role: &'static str,
        from: &'static str,
        to: &'static str,
    },
}

/// Which header field differs, if any.
fn header_change(old: &Inspection, new: &Inspection) -> Option<&'static str> {
    let (o, n) = (&old.header, &new.header);
    if o.id != n.id {
        Some("id")
    } else if o.kind != n.kind {
        Some("kind")
    } else if o.agency != n.agency {
        Some("agency")
    } else if o.subject != n.subject {
        Some("subject")
    } else if o.inspector != n.inspector {
        Some("inspector")
    } else if o.catalog != n.catalog {
        Some("catalog")
    } else if o.started_at != n.started_at {
        Some("start time")
    } else if o.follows != n.follows {
        Some("follow-up link")
    } else {
        None
    }
}

/// Whether the inspector's part other than signatures differs.
fn content_changed(old: &Inspection, new: &Inspection) -> bool {
    old.ended_at != new.ended_at
        || old.gps != new.gps
        || old.locations != new.locations
        || old.findings != new.findings
        || old.notes != new.notes
        || old.photos != new.photos
        || old.pounds_sold_daily != new.pounds_sold_daily
        || old.pounds_processed_daily != new.pounds_processed_daily
        || old.products != new.products
        || old.selection_seed != new.selection_seed
        || old.pickup != new.pickup
        || old.haulers_identified != new.haulers_identified
        || old.report != new.report
}

/// Whether `by` may move an inspection of `inspector` from `from` (`None`: new) to `to`. The
/// workflow: the inspector drafts, signs and submits (and amends what was returned); a reviewer
/// other than the inspector accepts or returns what was submitted.
pub fn transition(
    by: &Acting<'_>,
    inspector: &str,
    from: Option<Status>,
    to: Status,
) -> Result<(), Refusal> {
    let own = by.user_id == inspector;
    match (from, to) {
        (None, Status::Draft | Status::Signed | Status::Submitted) if own => Ok(()),
        (None, _) if !own => Err(Refusal::CreatedForAnother),
        (Some(o), n) if o == n => Ok(()),
        (Some(Status::Draft | Status::Returned), Status::Signed | Status::Submitted)
        | (Some(Status::Signed), Status::Submitted)
            if own =>
        {
            Ok(())
        }
        (Some(Status::Submitted), Status::Accepted | Status::Returned) if own => {
            Err(Refusal::OwnReview)
        }
        (Some(Status::Submitted), Status::Accepted | Status::Returned) if !by.role.reviews() => {
            Err(Refusal::NotAReviewer)
        }
        (Some(Status::Submitted), Status::Accepted | Status::Returned) => Ok(()),
        (o, n) => Err(Refusal::Transition {
            role: by.role.as_str(),
            from: o.map_or("new", Status::as_str),
            to: n.as_str(),
        }),
    }
}

/// Whether `by` may turn the inspection `old` (`None`: it is new) into `new`.
pub fn authorize(
    old: Option<&Inspection>,
    new: &Inspection,
    by: &Acting<'_>,
) -> Result<(), Refusal> {
    if new.header.agency != by.agency {
        return Err(Refusal::OtherAgency(new.header.agency.clone()));
    }
    let inspector = new.header.inspector.id.as_str();
    let own = by.user_id == inspector;
    let Some(old) = old else {
        if !own {
            return Err(Refusal::CreatedForAnother);
        }
        if !by.role.makes(new.header.kind) {
            return Err(Refusal::KindNotForRole {
                role: by.role.as_str(),
                kind: new.header.kind.as_str(),
            });
        }
        if new.header.inspector.name != by.name {
            return Err(Refusal::NameNotAccount(by.name.to_string()));
        }
        if !new.reviews.is_empty() {
            return Err(Refusal::ReviewedAtCreation);
        }
        if new
            .signatures
            .iter()
            .any(|s| s.role == SignerRole::Inspector && s.name != new.header.inspector.name)
        {
            return Err(Refusal::SignatureName);
        }
        return transition(by, inspector, None, new.status);
    };
    if let Some(field) = header_change(old, new) {
        return Err(Refusal::HeaderChanged(field));
    }
    let content = content_changed(old, new);
    let signed = old.signatures != new.signatures;
    if (content || signed) && !own {
        return Err(Refusal::ContentByOther);
    }
    if content && !old.status.editable() {
        return Err(Refusal::ContentLocked(old.status.as_str()));
    }
    if signed && !new.signatures.starts_with(&old.signatures) {
        return Err(Refusal::ContentByOther);
    }
    if new.signatures[old.signatures.len().min(new.signatures.len())..]
        .iter()
        .any(|s| s.role == SignerRole::Inspector && s.name != new.header.inspector.name)
    {
        return Err(Refusal::SignatureName);
    }
    if old.deliveries != new.deliveries
        && (!own || old.deliveries.iter().any(|d| !new.deliveries.contains(d)))
    {
        return Err(Refusal::DeliveriesRewritten);
    }
    if !new.reviews.starts_with(&old.reviews) {
        return Err(Refusal::ReviewsRewritten);
    }
    let added = &new.reviews[old.reviews.len()..];
    for r in added {
        if r.by.id != by.user_id || r.by.name != by.name {
            return Err(Refusal::ReviewForAnother);
        }
        if own {
            return Err(Refusal::OwnReview);
        }
        if !by.role.reviews() {
            return Err(Refusal::NotAReviewer);
        }
    }
    transition(by, inspector, Some(old.status), new.status)?;
    let decided = old.status == Status::Submitted
        && matches!(new.status, Status::Accepted | Status::Returned);
    match (decided, added.last()) {
        (false, None) => Ok(()),
        (true, Some(r)) if r.accepted == (new.status == Status::Accepted) => Ok(()),
        _ => Err(Refusal::ReviewWithoutDecision),
    }
}

#[cfg(test)]
mod tests;
