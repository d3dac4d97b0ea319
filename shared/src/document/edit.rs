//! Recording an inspection: findings, notes, photos, GPS, volumes, products and the draw,
//! each one Automerge change, refused once the content is locked.

use super::*;

impl InspectionDoc {
    /// Records an item's state. Refused once the inspection is signed.
    pub fn set_finding(
        &mut self,
        item: &str,
        state: &ItemState,
        now: &DateTime<FixedOffset>,
    ) -> Result<()> {
        self.editable()?;
        if self.str_at(&ROOT, keys::KIND).as_deref() == Some(InspectionKind::RatingReport.as_str())
        {
            return Err(DocumentError::Workflow(
                "a rating report records no findings; they belong to the rating visits".into(),
            ));
        }
        let points = match state {
            ItemState::Violated { points, .. } => *points,
            _ => None,
        };
        self.check_item(item, points)?;
        let states = self.obj(&ROOT, keys::STATES)?;
        let points_map = self.obj(&ROOT, keys::POINTS)?;
        let products_map = self.obj(&ROOT, keys::AFFECTED_PRODUCTS)?;
        self.doc.put(&states, item, state.name())?;
        match state {
            ItemState::Violated { points, products } => {
                match points {
                    Some(p) => self.doc.put(&points_map, item, u64::from(*p))?,
                    None => self.doc.delete(&points_map, item)?,
                }
                if products.is_empty() {
                    self.doc.delete(&products_map, item)?;
                } else {
                    self.doc.put(&products_map, item, products.join("\n"))?;
                }
            }
            _ => {
                self.doc.delete(&points_map, item)?;
                self.doc.delete(&products_map, item)?;
            }
        }
        commit(
            &mut self.doc,
            &format!("item {item}: {}", state.name()),
            now,
        );
        Ok(())
    }

    /// Clears an item back to unrecorded.
    pub fn clear_finding(&mut self, item: &str, now: &DateTime<FixedOffset>) -> Result<()> {
        self.editable()?;
        self.check_item(item, None)?;
        for map in [keys::STATES, keys::POINTS, keys::AFFECTED_PRODUCTS] {
            let m = self.obj(&ROOT, map)?;
            self.doc.delete(&m, item)?;
        }
        commit(&mut self.doc, &format!("item {item}: cleared"), now);
        Ok(())
    }

    pub(super) fn set_text(&mut self, parent: &ObjId, key: &str, text: &str) -> Result<()> {
        let id = match self.doc.get(parent, key)? {
            Some((Value::Object(ObjType::Text), id)) => id,
            _ => self.doc.put_object(parent, key, ObjType::Text)?,
        };
        self.doc.update_text(&id, text)?;
        Ok(())
    }

    /// Sets an item's note (collaborative text: concurrent edits of different parts merge).
    pub fn set_item_note(
        &mut self,
        item: &str,
        text: &str,
        now: &DateTime<FixedOffset>,
    ) -> Result<()> {
        self.editable()?;
        self.check_item(item, None)?;
        let notes = self.obj(&ROOT, keys::ITEM_NOTES)?;
        self.set_text(&notes, item, text)?;
        commit(&mut self.doc, &format!("item {item}: note"), now);
        Ok(())
    }

    /// Sets the inspection's general notes.
    pub fn set_notes(&mut self, text: &str, now: &DateTime<FixedOffset>) -> Result<()> {
        self.editable()?;
        self.set_text(&ROOT, keys::NOTES, text)?;
        commit(&mut self.doc, "notes", now);
        Ok(())
    }

    /// Adds (or updates) a photo reference.
    pub fn add_photo(&mut self, photo: &PhotoRef, now: &DateTime<FixedOffset>) -> Result<()> {
        self.editable()?;
        if let Some(item) = &photo.item {
            self.check_item(item, None)?;
        }
        if photo.hash.len() != 64 || !photo.hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(DocumentError::Workflow(
                "a photo is referenced by its SHA-256 in hex".into(),
            ));
        }
        let photos = self.obj(&ROOT, keys::PHOTOS)?;
        let p = self.map_at(&photos, photo.hash.as_str())?;
        match &photo.item {
            Some(i) => self.doc.put(&p, keys::PHOTO_ITEM, i.as_str())?,
            None => self.doc.delete(&p, keys::PHOTO_ITEM)?,
        }
        self.doc
            .put(&p, keys::PHOTO_CAPTION, photo.caption.as_str())?;
        if let Some(t) = &photo.taken_at {
            self.doc.put(&p, keys::PHOTO_TAKEN_AT, t.to_rfc3339())?;
        }
        self.doc
            .put(&p, keys::PHOTO_WIDTH, u64::from(photo.width))?;
        self.doc
            .put(&p, keys::PHOTO_HEIGHT, u64::from(photo.height))?;
        if let Some(g) = &photo.gps {
            let gps = self.doc.put_object(&p, keys::GPS, ObjType::Map)?;
            self.put_gps(&gps, g)?;
        }
        commit(&mut self.doc, &format!("photo {}", &photo.hash[..12]), now);
        Ok(())
    }

    /// Removes a photo reference (the blob stays in the store until nothing refers to it).
    pub fn remove_photo(&mut self, hash: &str, now: &DateTime<FixedOffset>) -> Result<()> {
        self.editable()?;
        let photos = self.obj(&ROOT, keys::PHOTOS)?;
        self.doc.delete(&photos, hash)?;
        commit(&mut self.doc, "photo removed", now);
        Ok(())
    }

    /// The map under `key` of `parent`, made when it is missing (older documents lack the maps
    /// added since).
    fn map_at(&mut self, parent: &ObjId, key: &str) -> Result<ObjId> {
        match self.doc.get(parent, key)? {
            Some((Value::Object(ObjType::Map), id)) => Ok(id),
            _ => Ok(self.doc.put_object(parent, key, ObjType::Map)?),
        }
    }

    pub(super) fn put_gps(&mut self, obj: &ObjId, g: &GpsFix) -> Result<()> {
        self.doc.put(obj, keys::LAT, g.lat.as_str())?;
        self.doc.put(obj, keys::LON, g.lon.as_str())?;
        match &g.accuracy_m {
            Some(a) => self.doc.put(obj, keys::ACCURACY_M, a.as_str())?,
            None => self.doc.delete(obj, keys::ACCURACY_M)?,
        }
        Ok(())
    }

    /// Records where the inspection was made.
    pub fn set_gps(&mut self, fix: &GpsFix, now: &DateTime<FixedOffset>) -> Result<()> {
        self.editable()?;
        let gps = self.map_at(&ROOT, keys::GPS)?;
        self.put_gps(&gps, fix)?;
        commit(&mut self.doc, "gps", now);
        Ok(())
    }

    /// Records where the device was at `record.moment` (a fix, or why there is none); a later
    /// record of the same moment replaces the earlier one.
    pub fn record_location(
        &mut self,
        record: &LocationRecord,
        now: &DateTime<FixedOffset>,
    ) -> Result<()> {
        self.editable()?;
        let locations = self.map_at(&ROOT, keys::LOCATIONS)?;
        let rec = self
            .doc
            .put_object(&locations, record.moment.as_str(), ObjType::Map)?;
        self.doc
            .put(&rec, keys::LOCATION_AT, record.at.to_rfc3339())?;
        match &record.fix {
            Some(fix) => self.put_gps(&rec, fix)?,
            None => self.doc.put(&rec, keys::NO_FIX, record.no_fix.as_str())?,
        }
        commit(
            &mut self.doc,
            &format!("location at {}", record.moment.as_str()),
            now,
        );
        Ok(())
    }

    /// Records that the signed report reached the producer or operator. Only after the
    /// inspector signed; never part of the signed content; only ever added.
    pub fn record_delivery(
        &mut self,
        delivery: &ReportDelivery,
        now: &DateTime<FixedOffset>,
    ) -> Result<()> {
        if self.status() == Status::Draft {
            return Err(DocumentError::Workflow(
                "the report is handed over once the inspector has signed it".into(),
            ));
        }
        let deliveries = self.map_at(&ROOT, keys::DELIVERIES)?;
        // unique per device and instant: two devices' deliveries never overwrite each other
        let key = format!(
            "{}-{}-{}",
            delivery.at.to_rfc3339(),
            self.doc
                .get_actor()
                .to_hex_string()
                .get(..8)
                .unwrap_or_default(),
            self.doc.keys(&deliveries).count()
        );
        let d = self
            .doc
            .put_object(&deliveries, key.as_str(), ObjType::Map)?;
        self.doc
            .put(&d, keys::DELIVERY_HOW, delivery.how.as_str())?;
        self.doc
            .put(&d, keys::DELIVERY_AT, delivery.at.to_rfc3339())?;
        self.doc.put(&d, keys::DELIVERY_TO, delivery.to.as_str())?;
        commit(
            &mut self.doc,
            &format!("report {}", delivery.how.as_str()),
            now,
        );
        Ok(())
    }

    /// Sets one value in one of the document's maps, as one change.
    pub(super) fn put_in(
        &mut self,
        map: &str,
        key: &str,
        value: u64,
        message: &str,
        now: &DateTime<FixedOffset>,
    ) -> Result<()> {
        self.editable()?;
        let m = self.obj(&ROOT, map)?;
        self.doc.put(&m, key, value)?;
        commit(&mut self.doc, message, now);
        Ok(())
    }

    /// A farm's pounds of milk sold daily (MMSR L302–306).
    pub fn set_pounds_sold_daily(
        &mut self,
        pounds: u64,
        now: &DateTime<FixedOffset>,
    ) -> Result<()> {
        self.put_in(
            keys::VOLUME,
            keys::POUNDS_SOLD_DAILY,
            pounds,
            "pounds sold daily",
            now,
        )
    }

    /// A plant's pounds processed daily (MMSR L479–481).
    pub fn set_pounds_processed_daily(
        &mut self,
        pounds: u64,
        now: &DateTime<FixedOffset>,
    ) -> Result<()> {
        self.put_in(
            keys::VOLUME,
            keys::POUNDS_PROCESSED_DAILY,
            pounds,
            "pounds processed daily",
            now,
        )
    }

    /// A product's daily pounds (plants), for partial debits.
    pub fn set_product(
        &mut self,
        name: &str,
        pounds: u64,
        now: &DateTime<FixedOffset>,
    ) -> Result<()> {
        self.put_in(
            keys::PRODUCTS,
            name,
            pounds,
            &format!("product {name}"),
            now,
        )
    }

    /// A rating visit's random-selection seed (recorded so the draw can be reproduced).
    pub fn set_selection_seed(&mut self, seed: u64, now: &DateTime<FixedOffset>) -> Result<()> {
        self.editable()?;
        self.doc.put(ROOT, keys::SELECTION_SEED, seed)?;
        commit(&mut self.doc, "selection seed", now);
        Ok(())
    }
}
