//! Reading a document back: its typed view, validation against its form, conflicts and
//! history.

use super::*;

impl InspectionDoc {
    pub(super) fn gps_at(&self, obj: &ObjId) -> Option<GpsFix> {
        Some(GpsFix {
            lat: self.str_at(obj, keys::LAT)?,
            lon: self.str_at(obj, keys::LON)?,
            accuracy_m: self.str_at(obj, keys::ACCURACY_M),
        })
    }

    fn deliveries(&self) -> Vec<ReportDelivery> {
        let Ok(obj) = self.obj(&ROOT, keys::DELIVERIES) else {
            return Vec::new();
        };
        let mut out: Vec<(String, ReportDelivery)> = self
            .doc
            .keys(&obj)
            .filter_map(|k| {
                let d = self.obj(&obj, &k).ok()?;
                let delivery = ReportDelivery {
                    how: DeliveryMethod::parse(&self.str_at(&d, keys::DELIVERY_HOW)?)?,
                    at: self.time_at(&d, keys::DELIVERY_AT)?,
                    to: self.str_at(&d, keys::DELIVERY_TO).unwrap_or_default(),
                };
                Some((k, delivery))
            })
            .collect();
        out.sort_by(|a, b| a.1.at.cmp(&b.1.at).then_with(|| a.0.cmp(&b.0)));
        out.into_iter().map(|(_, d)| d).collect()
    }

    fn locations(&self) -> Vec<LocationRecord> {
        let Ok(obj) = self.obj(&ROOT, keys::LOCATIONS) else {
            return Vec::new();
        };
        let mut out: Vec<LocationRecord> = self
            .doc
            .keys(&obj)
            .filter_map(|k| {
                let moment = LocationMoment::parse(&k)?;
                let rec = self.obj(&obj, &k).ok()?;
                Some(LocationRecord {
                    moment,
                    at: self.time_at(&rec, keys::LOCATION_AT)?,
                    fix: self.gps_at(&rec),
                    no_fix: self.str_at(&rec, keys::NO_FIX).unwrap_or_default(),
                })
            })
            .collect();
        out.sort_by_key(|l| l.moment);
        out
    }

    /// Reads the whole inspection (conflicting fields read as Automerge's winner; see
    /// [`Self::conflicts`]).
    pub fn read(&self) -> Result<Inspection> {
        let schema = self
            .u64_at(&ROOT, keys::SCHEMA)
            .ok_or_else(|| DocumentError::Malformed("no schema version".into()))?;
        if schema > SCHEMA_VERSION {
            return Err(DocumentError::NewerSchema(schema));
        }
        let missing = |what: &str| DocumentError::Malformed(format!("missing or invalid {what}"));
        let id = self
            .str_at(&ROOT, keys::ID)
            .and_then(|s| s.parse::<InspectionId>().ok())
            .ok_or_else(|| missing("id"))?;
        let kind = self
            .str_at(&ROOT, keys::KIND)
            .and_then(|s| InspectionKind::parse(&s))
            .ok_or_else(|| missing("kind"))?;
        let subject_obj = self.obj(&ROOT, keys::SUBJECT)?;
        let subject = Subject {
            kind: self
                .str_at(&subject_obj, keys::SUBJECT_KIND)
                .and_then(|s| SubjectKind::parse(&s))
                .ok_or_else(|| missing("subject kind"))?,
            id: self
                .str_at(&subject_obj, keys::SUBJECT_ID)
                .ok_or_else(|| missing("subject id"))?
                .into(),
            name: self
                .str_at(&subject_obj, keys::SUBJECT_NAME)
                .unwrap_or_default(),
            permit: self.str_at(&subject_obj, keys::SUBJECT_PERMIT),
            producer_number: self.str_at(&subject_obj, keys::SUBJECT_PRODUCER_NUMBER),
        };
        let inspector_obj = self.obj(&ROOT, keys::INSPECTOR)?;
        let inspector = Person {
            id: self
                .str_at(&inspector_obj, keys::PERSON_ID)
                .ok_or_else(|| missing("inspector"))?
                .into(),
            name: self
                .str_at(&inspector_obj, keys::PERSON_NAME)
                .unwrap_or_default(),
        };
        let header = Header {
            id,
            kind,
            agency: self
                .str_at(&ROOT, keys::AGENCY)
                .ok_or_else(|| missing("agency"))?,
            subject,
            inspector,
            catalog: self
                .str_at(&ROOT, keys::CATALOG)
                .ok_or_else(|| missing("catalog"))?,
            started_at: self
                .time_at(&ROOT, keys::STARTED_AT)
                .ok_or_else(|| missing("started_at"))?,
            follows: self
                .str_at(&ROOT, keys::FOLLOWS)
                .and_then(|s| s.parse::<InspectionId>().ok()),
        };
        let states = self.obj(&ROOT, keys::STATES)?;
        let points = self.obj(&ROOT, keys::POINTS)?;
        let products_map = self.obj(&ROOT, keys::AFFECTED_PRODUCTS)?;
        let notes = self.obj(&ROOT, keys::ITEM_NOTES)?;
        let mut findings = Vec::new();
        let order = self.item_ids().unwrap_or_default();
        let mut recorded: Vec<String> = self.doc.keys(&states).collect();
        for k in self.doc.keys(&notes) {
            if !recorded.contains(&k) {
                recorded.push(k);
            }
        }
        recorded.sort_by_key(|k| order.iter().position(|o| o == k).unwrap_or(usize::MAX));
        for item in recorded {
            let state = match self.str_at(&states, &item).as_deref() {
                Some("violated") => ItemState::Violated {
                    points: self
                        .u64_at(&points, &item)
                        .and_then(|p| u32::try_from(p).ok()),
                    products: self
                        .str_at(&products_map, &item)
                        .map(|s| s.split('\n').map(str::to_string).collect())
                        .unwrap_or_default(),
                },
                Some("in_compliance") => ItemState::InCompliance,
                Some("not_applicable") => ItemState::NotApplicable,
                _ => ItemState::NotObserved,
            };
            findings.push(Finding {
                note: self.text_at(&notes, &item),
                item,
                state,
            });
        }
        let photos_obj = self.obj(&ROOT, keys::PHOTOS)?;
        let photos = self
            .doc
            .keys(&photos_obj)
            .filter_map(|hash| {
                let p = self.obj(&photos_obj, &hash).ok()?;
                Some(PhotoRef {
                    item: self.str_at(&p, keys::PHOTO_ITEM),
                    caption: self.str_at(&p, keys::PHOTO_CAPTION).unwrap_or_default(),
                    taken_at: self.time_at(&p, keys::PHOTO_TAKEN_AT),
                    width: u32::try_from(self.u64_at(&p, keys::PHOTO_WIDTH)?).ok()?,
                    height: u32::try_from(self.u64_at(&p, keys::PHOTO_HEIGHT)?).ok()?,
                    gps: self.obj(&p, keys::GPS).ok().and_then(|g| self.gps_at(&g)),
                    hash,
                })
            })
            .collect();
        let volume = self.obj(&ROOT, keys::VOLUME)?;
        let products_obj = self.obj(&ROOT, keys::PRODUCTS)?;
        let products = self
            .doc
            .keys(&products_obj)
            .filter_map(|name| {
                let p = self.u64_at(&products_obj, &name)?;
                Some((name, p))
            })
            .collect();
        Ok(Inspection {
            header,
            ended_at: self.time_at(&ROOT, keys::ENDED_AT),
            gps: self
                .obj(&ROOT, keys::GPS)
                .ok()
                .and_then(|g| self.gps_at(&g)),
            locations: self.locations(),
            status: self.status(),
            findings,
            notes: self.text_at(&ROOT, keys::NOTES),
            photos,
            pounds_sold_daily: self.u64_at(&volume, keys::POUNDS_SOLD_DAILY),
            pounds_processed_daily: self.u64_at(&volume, keys::POUNDS_PROCESSED_DAILY),
            products,
            selection_seed: self.u64_at(&ROOT, keys::SELECTION_SEED),
            pickup: self.pickup(),
            haulers_identified: self.haulers_identified(),
            report: self.report_entries(),
            signatures: self.signatures(),
            deliveries: self.deliveries(),
            reviews: self.reviews(),
            integrity: self.integrity(),
        })
    }

    /// Checks what [`Self::read`] does not: every recorded item is on the document's form and
    /// every debit carries points the item allows.
    pub fn validate(&self) -> Result<()> {
        let inspection = self.read()?;
        let report = inspection.header.kind == InspectionKind::RatingReport;
        if report && (!inspection.findings.is_empty() || !inspection.photos.is_empty()) {
            return Err(DocumentError::Malformed(
                "a rating report records no findings or photos; they belong to the rating visits"
                    .into(),
            ));
        }
        if inspection.report.len() > super::report::MAX_REPORT_ENTRIES
            || inspection.report.iter().any(|(path, value)| {
                !super::report::well_formed_path(path)
                    || value.len() > super::report::MAX_REPORT_VALUE
            })
        {
            return Err(DocumentError::Malformed(
                "a FORM 2359j entry is malformed or too long".into(),
            ));
        }
        if !report && !inspection.report.is_empty() {
            return Err(DocumentError::Malformed(
                "FORM 2359j entries belong to a rating report".into(),
            ));
        }
        if report
            && !matches!(
                inspection.header.subject.kind,
                SubjectKind::Btu
                    | SubjectKind::Plant
                    | SubjectKind::ReceivingStation
                    | SubjectKind::TransferStation
            )
        {
            return Err(DocumentError::Malformed(
                "a rating report is of a shipper: a BTU, plant or station".into(),
            ));
        }
        for f in &inspection.findings {
            let points = match &f.state {
                ItemState::Violated { points, .. } => *points,
                _ => None,
            };
            self.check_item(&f.item, points)?;
        }
        for p in &inspection.photos {
            if let Some(item) = &p.item {
                self.check_item(item, None)?;
            }
        }
        Ok(())
    }

    /// Every field two devices set differently, with all the values Automerge kept.
    pub fn conflicts(&self) -> Vec<Conflict> {
        let mut out = Vec::new();
        self.walk_conflicts(&ROOT, "", &mut out);
        out
    }

    pub(super) fn render(&self, v: &Value<'_>, id: &ObjId) -> String {
        match v {
            Value::Object(ObjType::Text) => self.doc.text(id).unwrap_or_default(),
            Value::Object(t) => format!("({t:?})"),
            v => scalar_string(v).unwrap_or_default(),
        }
    }

    pub(super) fn walk_conflicts(&self, obj: &ObjId, path: &str, out: &mut Vec<Conflict>) {
        let is_list = matches!(self.doc.object_type(obj), Ok(ObjType::List));
        let props: Vec<automerge::Prop> = if is_list {
            (0..self.doc.length(obj))
                .map(automerge::Prop::from)
                .collect()
        } else {
            self.doc.keys(obj).map(automerge::Prop::from).collect()
        };
        for prop in props {
            let p = if path.is_empty() {
                prop.to_string()
            } else {
                format!("{path}/{prop}")
            };
            let all = self.doc.get_all(obj, prop.clone()).unwrap_or_default();
            if all.len() > 1 {
                out.push(Conflict {
                    path: p.clone(),
                    values: all.iter().rev().map(|(v, id)| self.render(v, id)).collect(),
                });
            }
            if let Some((v, id)) = all.last() {
                if matches!(v, Value::Object(ObjType::Map | ObjType::List)) {
                    self.walk_conflicts(id, &p, out);
                }
            }
        }
    }

    /// Who changed what, oldest first: each change's actor (hex), time and description.
    pub fn history(&mut self) -> Vec<(String, i64, String)> {
        self.doc
            .get_changes(&[])
            .iter()
            .map(|c| {
                (
                    c.actor_id().to_hex_string(),
                    c.timestamp(),
                    c.message().unwrap_or_default().to_string(),
                )
            })
            .collect()
    }

    /// The actors (hex) that wrote changes after the given heads (all when empty).
    pub fn actors_since(&mut self, heads: &[automerge::ChangeHash]) -> Vec<String> {
        let mut actors: Vec<String> = self
            .doc
            .get_changes(heads)
            .iter()
            .map(|c| c.actor_id().to_hex_string())
            .collect();
        actors.sort();
        actors.dedup();
        actors
    }
}
