//! Signing and review: the signed content and its hash, the inspector's and the producer's
//! signatures, submission, the reviewer's decision, and integrity.

use super::*;

impl InspectionDoc {
    /// The canonical text of the signed content: everything the inspector attests to, with map
    /// keys sorted (Automerge's map order), winners of any conflict, and none of the
    /// signatures, status or reviews.
    pub(super) fn content(&self) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for key in [
            keys::SCHEMA,
            keys::ID,
            keys::KIND,
            keys::AGENCY,
            keys::CATALOG,
            keys::FOLLOWS,
            keys::STARTED_AT,
            keys::ENDED_AT,
            keys::SELECTION_SEED,
        ] {
            if let Ok(Some((v, _))) = self.doc.get(ROOT, key) {
                if let Some(s) = scalar_string(&v) {
                    out.insert(key.to_string(), s);
                }
            }
        }
        for obj in [
            keys::SUBJECT,
            keys::INSPECTOR,
            keys::GPS,
            keys::LOCATIONS,
            keys::STATES,
            keys::POINTS,
            keys::AFFECTED_PRODUCTS,
            keys::ITEM_NOTES,
            keys::PHOTOS,
            keys::VOLUME,
            keys::PRODUCTS,
            keys::EVALUATION,
            keys::HAULERS_IDENTIFIED,
            keys::REPORT,
        ] {
            if let Ok(id) = self.obj(&ROOT, obj) {
                self.flatten(&id, obj, &mut out);
            }
        }
        out.insert(keys::NOTES.into(), self.text_at(&ROOT, keys::NOTES));
        out
    }

    pub(super) fn flatten(&self, obj: &ObjId, path: &str, out: &mut BTreeMap<String, String>) {
        for key in self.doc.keys(obj) {
            let p = format!("{path}/{key}");
            match self.doc.get(obj, key.as_str()) {
                Ok(Some((Value::Object(ObjType::Text), id))) => {
                    out.insert(p, self.doc.text(&id).unwrap_or_default());
                }
                Ok(Some((Value::Object(_), id))) => self.flatten(&id, &p, out),
                Ok(Some((v, _))) => {
                    if let Some(s) = scalar_string(&v) {
                        out.insert(p, s);
                    }
                }
                _ => {}
            }
        }
    }

    /// SHA-256 of the signed content, lower-case hex.
    pub fn content_hash(&self) -> String {
        let mut h = Sha256::new();
        for (k, v) in self.content() {
            h.update((k.len() as u64).to_le_bytes());
            h.update(k.as_bytes());
            h.update((v.len() as u64).to_le_bytes());
            h.update(v.as_bytes());
        }
        hex(&h.finalize())
    }

    /// Signs: the inspector's sign-off records the content hash and locks the content; an
    /// acknowledgement (producer or operator) may follow the inspector's signature.
    pub fn sign(
        &mut self,
        role: SignerRole,
        name: &str,
        strokes: &str,
        now: &DateTime<FixedOffset>,
    ) -> Result<String> {
        let status = self.status();
        match role {
            SignerRole::Inspector if !status.editable() => {
                return Err(DocumentError::Locked(status.as_str()))
            }
            SignerRole::Acknowledgement if status != Status::Signed => {
                return Err(DocumentError::Workflow(
                    "the producer acknowledges the report after the inspector signs it".into(),
                ))
            }
            _ => {}
        }
        if name.trim().is_empty() {
            return Err(DocumentError::Workflow(
                "a signature needs the signer's name".into(),
            ));
        }
        if role == SignerRole::Inspector {
            let view = self.read()?;
            if view.header.kind == InspectionKind::HaulerSampler
                && view.pickup.as_ref().and_then(|p| p.outcome).is_none()
            {
                return Err(DocumentError::Workflow(
                    "record the outcome (satisfactory, or unsatisfactory with the re-evaluation date) before signing the evaluation".into(),
                ));
            }
        }
        if role == SignerRole::Inspector && self.doc.get(ROOT, keys::ENDED_AT)?.is_none() {
            self.doc.put(ROOT, keys::ENDED_AT, now.to_rfc3339())?;
        }
        let hash = self.content_hash();
        let list = self.obj(&ROOT, keys::SIGNATURES)?;
        let len = self.doc.length(&list);
        let s = self.doc.insert_object(&list, len, ObjType::Map)?;
        self.doc.put(&s, keys::SIGNER_ROLE, role.as_str())?;
        self.doc.put(&s, keys::SIGNER_NAME, name)?;
        self.doc.put(&s, keys::SIGNED_AT, now.to_rfc3339())?;
        self.doc.put(&s, keys::CONTENT_HASH, hash.as_str())?;
        self.doc.put(&s, keys::STROKES, strokes)?;
        if role == SignerRole::Inspector {
            self.doc.put(ROOT, keys::STATUS, Status::Signed.as_str())?;
        }
        commit(&mut self.doc, &format!("signed: {}", role.as_str()), now);
        Ok(hash)
    }

    /// Submits a signed inspection for review.
    pub fn submit(&mut self, now: &DateTime<FixedOffset>) -> Result<()> {
        match self.status() {
            Status::Signed => {
                if let Integrity::Tampered { .. } = self.integrity() {
                    return Err(DocumentError::Workflow(
                        "the content changed after signing; it cannot be submitted".into(),
                    ));
                }
                self.doc
                    .put(ROOT, keys::STATUS, Status::Submitted.as_str())?;
                commit(&mut self.doc, "submitted", now);
                Ok(())
            }
            s => Err(DocumentError::Workflow(format!(
                "only a signed inspection can be submitted (it is {})",
                s.as_str()
            ))),
        }
    }

    /// A reviewer accepts the inspection or returns it with comments (per finding and overall);
    /// a returned inspection can be amended and re-signed, its history kept.
    pub fn review(&mut self, review: &Review) -> Result<()> {
        if self.status() != Status::Submitted {
            return Err(DocumentError::Workflow(format!(
                "only a submitted inspection can be reviewed (it is {})",
                self.status().as_str()
            )));
        }
        if !review.accepted && review.comment.trim().is_empty() && review.item_comments.is_empty() {
            return Err(DocumentError::Workflow(
                "say what to amend when returning an inspection".into(),
            ));
        }
        let list = self.obj(&ROOT, keys::REVIEWS)?;
        let len = self.doc.length(&list);
        let r = self.doc.insert_object(&list, len, ObjType::Map)?;
        let by = self.doc.put_object(&r, keys::REVIEW_BY, ObjType::Map)?;
        self.doc.put(&by, keys::PERSON_ID, review.by.id.as_str())?;
        self.doc
            .put(&by, keys::PERSON_NAME, review.by.name.as_str())?;
        self.doc.put(&r, keys::REVIEW_AT, review.at.to_rfc3339())?;
        self.doc.put(&r, keys::REVIEW_ACCEPTED, review.accepted)?;
        self.doc
            .put(&r, keys::REVIEW_COMMENT, review.comment.as_str())?;
        let ic = self
            .doc
            .put_object(&r, keys::REVIEW_ITEM_COMMENTS, ObjType::Map)?;
        for (item, c) in &review.item_comments {
            self.doc.put(&ic, item.as_str(), c.as_str())?;
        }
        let status = if review.accepted {
            Status::Accepted
        } else {
            Status::Returned
        };
        self.doc.put(ROOT, keys::STATUS, status.as_str())?;
        commit(
            &mut self.doc,
            &format!("reviewed: {}", status.as_str()),
            &review.at,
        );
        Ok(())
    }

    /// Whether the content still matches the inspector's latest signature.
    pub fn integrity(&self) -> Integrity {
        if !matches!(
            self.status(),
            Status::Signed | Status::Submitted | Status::Accepted
        ) {
            return Integrity::Unsigned;
        }
        let signed = self
            .signatures()
            .into_iter()
            .rev()
            .find(|s| s.role == SignerRole::Inspector)
            .map(|s| s.content_hash);
        let now = self.content_hash();
        match signed {
            Some(signed) if signed == now => Integrity::Intact,
            Some(signed) => Integrity::Tampered { signed, now },
            None => Integrity::Tampered {
                signed: String::new(),
                now,
            },
        }
    }

    pub(super) fn signatures(&self) -> Vec<Signature> {
        let Ok(list) = self.obj(&ROOT, keys::SIGNATURES) else {
            return Vec::new();
        };
        (0..self.doc.length(&list))
            .filter_map(|i| match self.doc.get(&list, i).ok()?? {
                (Value::Object(ObjType::Map), s) => Some(Signature {
                    role: SignerRole::parse(&self.str_at(&s, keys::SIGNER_ROLE)?)?,
                    name: self.str_at(&s, keys::SIGNER_NAME)?,
                    signed_at: self.time_at(&s, keys::SIGNED_AT)?,
                    content_hash: self.str_at(&s, keys::CONTENT_HASH)?,
                    strokes: self.str_at(&s, keys::STROKES).unwrap_or_default(),
                }),
                _ => None,
            })
            .collect()
    }

    pub(super) fn reviews(&self) -> Vec<Review> {
        let Ok(list) = self.obj(&ROOT, keys::REVIEWS) else {
            return Vec::new();
        };
        (0..self.doc.length(&list))
            .filter_map(|i| match self.doc.get(&list, i).ok()?? {
                (Value::Object(ObjType::Map), r) => {
                    let by = self.obj(&r, keys::REVIEW_BY).ok()?;
                    let accepted = match self.doc.get(&r, keys::REVIEW_ACCEPTED).ok()?? {
                        (Value::Scalar(s), _) => matches!(s.as_ref(), ScalarValue::Boolean(true)),
                        _ => false,
                    };
                    let item_comments = self
                        .obj(&r, keys::REVIEW_ITEM_COMMENTS)
                        .map(|ic| {
                            self.doc
                                .keys(&ic)
                                .filter_map(|k| {
                                    let c = self.str_at(&ic, &k)?;
                                    Some((k, c))
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    Some(Review {
                        by: Person {
                            id: self.str_at(&by, keys::PERSON_ID)?.into(),
                            name: self.str_at(&by, keys::PERSON_NAME)?,
                        },
                        at: self.time_at(&r, keys::REVIEW_AT)?,
                        accepted,
                        comment: self.str_at(&r, keys::REVIEW_COMMENT).unwrap_or_default(),
                        item_comments,
                    })
                }
                _ => None,
            })
            .collect()
    }
}
