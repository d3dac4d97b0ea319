//! The write rules, one refusal each, on typed views of real documents.

use super::*;
use crate::document::{
    Header, InspectionDoc, ItemState, Person, Review, SignerRole, Subject, SubjectKind,
};
use automerge::ActorId;
use chrono::{DateTime, FixedOffset, TimeZone};
use uuid::Uuid;

fn t() -> DateTime<FixedOffset> {
    FixedOffset::east_opt(0)
        .unwrap()
        .with_ymd_and_hms(2026, 11, 24, 9, 0, 0)
        .unwrap()
}

const ANN: Acting<'static> = Acting {
    user_id: "ann",
    name: "Ann Lindqvist",
    role: Role::Sanitarian,
    agency: "demo",
};
const BOB: Acting<'static> = Acting {
    user_id: "bob",
    name: "Bob Other",
    role: Role::Sanitarian,
    agency: "demo",
};
const SUE: Acting<'static> = Acting {
    user_id: "sue",
    name: "Sue Supervisor",
    role: Role::Supervisor,
    agency: "demo",
};

fn doc(kind: InspectionKind) -> InspectionDoc {
    InspectionDoc::create(
        ActorId::from([1u8; 16]),
        &Header {
            id: Uuid::from_u128(7).into(),
            kind,
            agency: "demo".into(),
            subject: Subject {
                kind: SubjectKind::Farm,
                id: "farm-1".into(),
                name: "Pete Carhart".into(),
                permit: None,
                producer_number: None,
            },
            inspector: Person {
                id: "ann".into(),
                name: "Ann Lindqvist".into(),
            },
            catalog: "pmo-2011".into(),
            started_at: t(),
            follows: None,
        },
    )
    .unwrap()
}

fn violated() -> ItemState {
    ItemState::Violated {
        points: None,
        products: vec![],
    }
}

fn submitted() -> InspectionDoc {
    let mut d = doc(InspectionKind::RoutineFarm);
    d.set_finding("3", &violated(), &t()).unwrap();
    d.sign(SignerRole::Inspector, "Ann Lindqvist", "M0 0", &t())
        .unwrap();
    d.submit(&t()).unwrap();
    d
}

fn review(by: &Acting<'_>, accepted: bool) -> Review {
    Review {
        by: Person {
            id: by.user_id.into(),
            name: by.name.into(),
        },
        at: t(),
        accepted,
        comment: "see item 3".into(),
        item_comments: vec![],
    }
}

#[test]
fn each_role_creates_only_its_kinds() {
    let routine = doc(InspectionKind::RoutineFarm).read().unwrap();
    assert_eq!(authorize(None, &routine, &ANN), Ok(()));
    let visit = doc(InspectionKind::RatingVisitFarm).read().unwrap();
    assert!(matches!(
        authorize(None, &visit, &ANN),
        Err(Refusal::KindNotForRole { .. })
    ));
    let officer = Acting {
        role: Role::RatingOfficer,
        ..ANN
    };
    assert_eq!(authorize(None, &visit, &officer), Ok(()));
    let admin = Acting {
        role: Role::Admin,
        ..ANN
    };
    assert!(!admin.role.inspects());
    assert!(authorize(None, &routine, &admin).is_err());
    let evaluator = Acting {
        role: Role::HaulerSamplerEvaluator,
        ..ANN
    };
    assert!(evaluator.role.makes(InspectionKind::HaulerSampler));
    assert!(!evaluator.role.makes(InspectionKind::RoutineFarm));
}

#[test]
fn a_new_inspection_is_its_own_inspectors_under_the_accounts_name() {
    let routine = doc(InspectionKind::RoutineFarm).read().unwrap();
    assert_eq!(
        authorize(None, &routine, &BOB),
        Err(Refusal::CreatedForAnother)
    );
    let renamed = Acting {
        name: "Someone Else",
        ..ANN
    };
    assert!(matches!(
        authorize(None, &routine, &renamed),
        Err(Refusal::NameNotAccount(_))
    ));
    let other_agency = Acting {
        agency: "north",
        ..ANN
    };
    assert!(matches!(
        authorize(None, &routine, &other_agency),
        Err(Refusal::OtherAgency(_))
    ));
    let mut reviewed = routine.clone();
    reviewed.reviews.push(review(&SUE, true));
    assert_eq!(
        authorize(None, &reviewed, &ANN),
        Err(Refusal::ReviewedAtCreation)
    );
}

#[test]
fn the_header_is_frozen() {
    let old = doc(InspectionKind::RoutineFarm).read().unwrap();
    let mut new = old.clone();
    new.header.inspector = Person {
        id: "bob".into(),
        name: "Bob Other".into(),
    };
    assert_eq!(
        authorize(Some(&old), &new, &BOB),
        Err(Refusal::HeaderChanged("inspector"))
    );
    let mut new = old.clone();
    new.header.started_at = t() - chrono::Duration::days(400);
    assert_eq!(
        authorize(Some(&old), &new, &ANN),
        Err(Refusal::HeaderChanged("start time"))
    );
    let mut new = old.clone();
    new.header.subject.name = "=HYPERLINK(1)".into();
    assert_eq!(
        authorize(Some(&old), &new, &ANN),
        Err(Refusal::HeaderChanged("subject"))
    );
}

#[test]
fn only_the_inspector_writes_findings_and_only_while_editable() {
    let old = doc(InspectionKind::RoutineFarm).read().unwrap();
    let mut d = doc(InspectionKind::RoutineFarm);
    d.set_finding("3", &violated(), &t()).unwrap();
    let new = d.read().unwrap();
    assert_eq!(authorize(Some(&old), &new, &ANN), Ok(()));
    assert_eq!(
        authorize(Some(&old), &new, &BOB),
        Err(Refusal::ContentByOther)
    );
    assert_eq!(
        authorize(Some(&old), &new, &SUE),
        Err(Refusal::ContentByOther)
    );
    let sub = submitted().read().unwrap();
    let mut edited = sub.clone();
    edited.notes = "changed later".into();
    assert_eq!(
        authorize(Some(&sub), &edited, &ANN),
        Err(Refusal::ContentLocked("submitted"))
    );
}

#[test]
fn reviews_are_by_the_reviewer_themself_and_decide_the_status() {
    let sub = submitted().read().unwrap();
    let mut d = submitted();
    d.review(&review(&SUE, true)).unwrap();
    let accepted = d.read().unwrap();
    assert_eq!(authorize(Some(&sub), &accepted, &SUE), Ok(()));
    // the same change pushed by someone else reads as forged
    let rating_officer = Acting {
        user_id: "sam",
        name: "Sam Rater",
        role: Role::RatingOfficer,
        agency: "demo",
    };
    assert_eq!(
        authorize(Some(&sub), &accepted, &rating_officer),
        Err(Refusal::ReviewForAnother)
    );
    // the inspector accepting their own work, under their own name
    let mut d = submitted();
    d.review(&review(&ANN, true)).unwrap();
    assert_eq!(
        authorize(Some(&sub), &d.read().unwrap(), &ANN),
        Err(Refusal::OwnReview)
    );
    // a sanitarian is no reviewer
    let mut d = submitted();
    d.review(&review(&BOB, false)).unwrap();
    assert_eq!(
        authorize(Some(&sub), &d.read().unwrap(), &BOB),
        Err(Refusal::NotAReviewer)
    );
    // a status moved without a review, and a review that says the opposite
    let mut bare = sub.clone();
    bare.status = Status::Accepted;
    assert_eq!(
        authorize(Some(&sub), &bare, &SUE),
        Err(Refusal::ReviewWithoutDecision)
    );
    let mut opposite = accepted.clone();
    opposite.status = Status::Returned;
    assert_eq!(
        authorize(Some(&sub), &opposite, &SUE),
        Err(Refusal::ReviewWithoutDecision)
    );
    // history is never rewritten
    let mut rewritten = accepted.clone();
    rewritten.reviews[0].comment = "something else".into();
    assert_eq!(
        authorize(Some(&accepted), &rewritten, &SUE),
        Err(Refusal::ReviewsRewritten)
    );
}

#[test]
fn the_workflow_moves_one_way() {
    let sub = submitted().read().unwrap();
    let mut back = sub.clone();
    back.status = Status::Draft;
    assert!(matches!(
        authorize(Some(&sub), &back, &ANN),
        Err(Refusal::Transition { .. })
    ));
    assert_eq!(
        transition(&ANN, "ann", Some(Status::Returned), Status::Signed),
        Ok(())
    );
    assert!(transition(&BOB, "ann", Some(Status::Draft), Status::Signed).is_err());
}

#[test]
fn the_reports_deliveries_are_the_inspectors_and_only_ever_added() {
    use crate::document::{DeliveryMethod, ReportDelivery};
    let mut d = submitted();
    let before = d.read().unwrap();
    let delivery = ReportDelivery {
        how: DeliveryMethod::Printed,
        at: t(),
        to: "Pete Carhart".into(),
    };
    d.record_delivery(&delivery, &t()).unwrap();
    let after = d.read().unwrap();
    assert_eq!(after.deliveries, vec![delivery.clone()]);
    assert_eq!(after.integrity, before.integrity, "not signed content");
    assert_eq!(authorize(Some(&before), &after, &ANN), Ok(()));
    assert_eq!(
        authorize(Some(&before), &after, &BOB),
        Err(Refusal::DeliveriesRewritten)
    );
    assert_eq!(
        authorize(Some(&before), &after, &SUE),
        Err(Refusal::DeliveriesRewritten)
    );
    // removing one is refused, even to the inspector
    assert_eq!(
        authorize(Some(&after), &before, &ANN),
        Err(Refusal::DeliveriesRewritten)
    );
    // a draft has no report to hand over yet
    let mut draft = doc(InspectionKind::RoutineFarm);
    assert!(draft.record_delivery(&delivery, &t()).is_err());
}

/// A rating report is the rating officer's: a sanitarian makes none, and only its officer
/// writes its FORM 2359j entries, while it is a draft.
#[test]
fn only_the_rating_officer_writes_the_rating_report() {
    let officer = Acting {
        role: Role::RatingOfficer,
        ..ANN
    };
    let report = doc(InspectionKind::RatingReport).read().unwrap();
    assert!(matches!(
        authorize(None, &report, &ANN),
        Err(Refusal::KindNotForRole { .. })
    ));
    assert_eq!(authorize(None, &report, &officer), Ok(()));
    let mut edited = report.clone();
    edited.report.insert("part_i/1/number".into(), "4".into());
    let other = Acting {
        role: Role::RatingOfficer,
        ..BOB
    };
    assert_eq!(
        authorize(Some(&report), &edited, &other),
        Err(Refusal::ContentByOther)
    );
    assert_eq!(authorize(Some(&report), &edited, &officer), Ok(()));
    let mut sent = report.clone();
    sent.status = Status::Submitted;
    let mut late = sent.clone();
    late.report.insert("part_i/1/number".into(), "9".into());
    assert_eq!(
        authorize(Some(&sent), &late, &officer),
        Err(Refusal::ContentLocked("submitted"))
    );
}
