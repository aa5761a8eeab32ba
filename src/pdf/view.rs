//! One object model for every revision of a file, with the revisions sharing their objects.
//!
//! A signed form is verified against the document as it was at each signature, and those
//! documents differ from the final one in a handful of objects: the fields filled and the
//! signatures added since. Copying the whole document for each signed state was a fifth of the
//! time `verify` spent on a three-signature form, so a signed state is kept as its differences from the final
//! document ([`Changes`]) and read through a [`View`] that looks in the differences first and
//! in the final document for everything else.
//!
//! Code that reads a signed state (form fields, the integrity rules, the pixel pre-check, page
//! marks) takes any [`Objects`]: a [`lopdf::Document`] (which answers its page walk with
//! lopdf's own methods) or a [`View`]. Dereferencing, for both, and the view's page walk repeat
//! lopdf's rules exactly, so a view reads as the full document would; `tests/revisions.rs`
//! checks that, object by object and page by page, for every signed revision of every fixture,
//! and a unit test here checks reference chains around lopdf's limit against lopdf.
//!
//! ```
//! use formtool::pdf::view::Objects;
//! let pdf = formtool::form::template::blank_form();
//! let doc = lopdf::Document::load_mem(&pdf).unwrap();
//! assert_eq!(Objects::get_pages(&doc).len(), 1);
//! ```

use std::collections::BTreeMap;

use lopdf::{Dictionary, Document, Error, Object, ObjectId};

use crate::pdf::Lookup;

/// Read access to a document's objects, as lopdf's [`Document`] gives it.
pub trait Objects {
    /// The object stored under `id`, as stored (a reference is not followed).
    fn stored(&self, id: ObjectId) -> Option<&Object>;
    fn trailer(&self) -> &Dictionary;
    /// How many objects the document holds.
    fn count(&self) -> usize;
    /// Every object id, in order.
    fn ids(&self) -> Vec<ObjectId>;

    fn has(&self, id: ObjectId) -> bool {
        self.stored(id).is_some()
    }

    /// Follow references from `object` as lopdf does (at most [`DEREF_LIMIT`] of them).
    fn dereference<'a>(&'a self, mut object: &'a Object) -> lopdf::Result<(Option<ObjectId>, &'a Object)> {
        let mut id = None;
        let mut followed = 0;
        // A match, not `as_reference`: its error for every object that is no reference, made
        // and dropped, was a few per cent of verifying a form.
        while let Object::Reference(next) = *object {
            id = Some(next);
            object = self.stored(next).ok_or(Error::ObjectNotFound(next))?;
            followed += 1;
            if followed > DEREF_LIMIT {
                return Err(Error::ReferenceLimit);
            }
        }
        Ok((id, object))
    }

    /// The object `id`, references followed ([`Document::get_object`]).
    fn get_object(&self, id: ObjectId) -> lopdf::Result<&Object> {
        let object = self.stored(id).ok_or(Error::ObjectNotFound(id))?;
        self.dereference(object).map(|(_, object)| object)
    }

    /// [`Self::get_object`] as an `Option`, with no error made when the object is there.
    fn resolved(&self, id: ObjectId) -> Option<&Object> {
        self.dereference(self.stored(id)?).ok().map(|(_, object)| object)
    }

    fn get_dictionary(&self, id: ObjectId) -> lopdf::Result<&Dictionary> {
        self.get_object(id).and_then(Object::as_dict)
    }

    /// The catalog, named by the trailer's `/Root` ([`Document::catalog`]).
    fn catalog(&self) -> lopdf::Result<&Dictionary> {
        self.trailer().lookup(b"Root").and_then(Object::as_reference).and_then(|id| self.get_dictionary(id))
    }

    /// Page number → page object, in page-tree order ([`Document::get_pages`]).
    fn get_pages(&self) -> BTreeMap<u32, ObjectId> {
        numbered_pages(self)
    }

    /// The content streams of a page ([`Document::get_page_contents`]).
    fn get_page_contents(&self, page: ObjectId) -> Vec<ObjectId> {
        content_ids(self, page)
    }
}

/// lopdf's bound on a chain of references.
const DEREF_LIMIT: usize = 128;
/// lopdf's bound on the depth of the page tree.
const PAGE_TREE_DEPTH_LIMIT: usize = 256;

/// [`page_ids`] numbered from 1.
fn numbered_pages<D: Objects + ?Sized>(doc: &D) -> BTreeMap<u32, ObjectId> {
    page_ids(doc).into_iter().enumerate().map(|(i, id)| (i as u32 + 1, id)).collect()
}

/// The pages in tree order, walked as lopdf's page iterator walks them: a kid that is not a
/// dictionary with a `/Type` still counts as a (blank) page, `/Pages` nodes deeper than its
/// limit are skipped, and the walk visits at most as many kids as the document has objects.
fn page_ids<D: Objects + ?Sized>(doc: &D) -> Vec<ObjectId> {
    let kids_of = |id: ObjectId| -> Option<&[Object]> {
        let node = doc.get_dictionary(id).ok()?;
        let kids = doc.dereference(node.find(b"Kids")?).ok()?.1;
        kids.as_array().ok().map(Vec::as_slice)
    };
    let root = doc.catalog().and_then(|c| c.lookup(b"Pages")).and_then(Object::as_reference);
    let mut kids = root.ok().and_then(kids_of);
    let mut stack: Vec<&[Object]> = Vec::new();
    let mut budget = doc.count();
    let mut pages = Vec::new();
    loop {
        while let Some((kid, rest)) = kids.and_then(|k| k.split_first()) {
            if budget == 0 {
                return pages;
            }
            budget -= 1;
            kids = Some(rest);
            let Ok(id) = kid.as_reference() else { continue };
            match doc.get_dictionary(id).and_then(Dictionary::get_type) {
                Ok(b"Page") | Err(_) => pages.push(id),
                Ok(b"Pages") if stack.len() < PAGE_TREE_DEPTH_LIMIT => {
                    if !rest.is_empty() {
                        stack.push(rest);
                    }
                    kids = kids_of(id);
                }
                Ok(_) => {}
            }
        }
        match stack.pop() {
            Some(next) => kids = Some(next),
            None => return pages,
        }
    }
}

/// A page's content streams, found as lopdf finds them: `/Contents` followed through
/// references to a stream (or a missing object) or to an array of references.
fn content_ids<D: Objects + ?Sized>(doc: &D, page: ObjectId) -> Vec<ObjectId> {
    let mut streams = Vec::new();
    let Ok(page) = doc.get_dictionary(page) else { return streams };
    let Ok(mut contents) = page.lookup(b"Contents") else { return streams };
    let mut followed = 0;
    loop {
        match contents {
            Object::Reference(id) => match doc.stored(*id) {
                None | Some(Object::Stream(_)) => streams.push(*id),
                Some(o) => {
                    followed += 1;
                    if followed < DEREF_LIMIT {
                        contents = o;
                        continue;
                    }
                }
            },
            Object::Array(a) => streams.extend(a.iter().filter_map(|c| c.as_reference().ok())),
            _ => {}
        }
        return streams;
    }
}

impl Objects for Document {
    fn stored(&self, id: ObjectId) -> Option<&Object> {
        self.objects.get(&id)
    }
    fn trailer(&self) -> &Dictionary {
        &self.trailer
    }
    fn count(&self) -> usize {
        self.objects.len()
    }
    fn ids(&self) -> Vec<ObjectId> {
        self.objects.keys().copied().collect()
    }
    fn has(&self, id: ObjectId) -> bool {
        self.objects.contains_key(&id)
    }
    // lopdf's own answers, so that a document reads exactly as lopdf reads it (objects are
    // followed by the trait's methods, which repeat lopdf's; see its tests).
    fn get_pages(&self) -> BTreeMap<u32, ObjectId> {
        Document::get_pages(self)
    }
    fn get_page_contents(&self, page: ObjectId) -> Vec<ObjectId> {
        Document::get_page_contents(self, page)
    }
}

/// How one revision differs from the final document it is read against.
#[derive(Debug, Clone)]
pub struct Changes {
    /// The objects this revision holds other than the final document does: `Some` with its
    /// own object, `None` for an object of the final document that this revision lacks.
    pub objects: BTreeMap<ObjectId, Option<Object>>,
    pub trailer: Dictionary,
    /// How many objects this revision holds.
    pub count: usize,
}

/// A document read as one revision of it: a whole document, or the final document with one
/// revision's [`Changes`] laid over it.
#[derive(Clone, Copy)]
pub enum View<'a> {
    Whole(&'a Document),
    Changed { base: &'a Document, changes: &'a Changes },
}

impl Objects for View<'_> {
    fn stored(&self, id: ObjectId) -> Option<&Object> {
        match self {
            View::Whole(doc) => doc.objects.get(&id),
            View::Changed { base, changes } => match changes.objects.get(&id) {
                Some(own) => own.as_ref(),
                None => base.objects.get(&id),
            },
        }
    }
    fn trailer(&self) -> &Dictionary {
        match self {
            View::Whole(doc) => &doc.trailer,
            View::Changed { changes, .. } => &changes.trailer,
        }
    }
    fn count(&self) -> usize {
        match self {
            View::Whole(doc) => doc.objects.len(),
            View::Changed { changes, .. } => changes.count,
        }
    }
    fn ids(&self) -> Vec<ObjectId> {
        match self {
            View::Whole(doc) => doc.ids(),
            View::Changed { base, changes } => {
                // Both maps are in order: merge them, the revision's own entry winning.
                let mut ids = Vec::with_capacity(changes.count);
                let mut own = changes.objects.iter().peekable();
                for id in base.objects.keys() {
                    while let Some((o, object)) = own.next_if(|(o, _)| *o <= id) {
                        if object.is_some() {
                            ids.push(*o);
                        }
                        if o == id {
                            break;
                        }
                    }
                    if !changes.objects.contains_key(id) {
                        ids.push(*id);
                    }
                }
                ids.extend(own.filter(|(_, object)| object.is_some()).map(|(o, _)| *o));
                ids
            }
        }
    }
    // `get_object` is the trait's, which repeats lopdf's dereferencing for either kind.
    fn get_pages(&self) -> BTreeMap<u32, ObjectId> {
        match self {
            View::Whole(doc) => Document::get_pages(doc),
            View::Changed { .. } => numbered_pages(self),
        }
    }
    fn get_page_contents(&self, page: ObjectId) -> Vec<ObjectId> {
        match self {
            View::Whole(doc) => Document::get_page_contents(doc, page),
            View::Changed { .. } => content_ids(self, page),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lopdf::dictionary;

    /// A document with a two-level page tree, a kid that is no dictionary, and a page whose
    /// `/Contents` goes through a reference to an array.
    fn sample() -> Document {
        let mut doc = Document::with_version("1.7");
        let content = doc.add_object(lopdf::Stream::new(dictionary! {}, b"0 0 m".to_vec()));
        let array = doc.add_object(Object::Array(vec![Object::Reference(content)]));
        let inner = doc.new_object_id();
        let page_a = doc.add_object(dictionary! { "Type" => "Page", "Parent" => inner, "Contents" => array });
        let page_b = doc.add_object(dictionary! { "Type" => "Page", "Contents" => content });
        let outer = doc.new_object_id();
        doc.objects.insert(inner, dictionary! { "Type" => "Pages", "Kids" => vec![page_a.into()] }.into());
        let missing: ObjectId = (999, 0);
        doc.objects.insert(
            outer,
            dictionary! { "Type" => "Pages", "Kids" => vec![inner.into(), missing.into(), page_b.into()] }.into(),
        );
        let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => outer });
        doc.trailer.set("Root", catalog);
        doc
    }

    /// The trait's own walks, not a document's lopdf answers.
    struct Own<'a>(&'a Document);
    impl Objects for Own<'_> {
        fn stored(&self, id: ObjectId) -> Option<&Object> {
            self.0.objects.get(&id)
        }
        fn trailer(&self) -> &Dictionary {
            &self.0.trailer
        }
        fn count(&self) -> usize {
            self.0.objects.len()
        }
        fn ids(&self) -> Vec<ObjectId> {
            self.0.objects.keys().copied().collect()
        }
    }

    #[test]
    fn the_page_walk_and_contents_repeat_lopdf() {
        let doc = sample();
        let own = Own(&doc);
        assert_eq!(own.get_pages(), doc.get_pages());
        assert_eq!(doc.get_pages().len(), 3, "the kid that does not load counts as a page");
        for page in doc.get_pages().values() {
            assert_eq!(own.get_page_contents(*page), doc.get_page_contents(*page));
        }
        assert_eq!(own.catalog().ok(), doc.catalog().ok());
    }

    #[test]
    fn a_view_reads_its_own_objects_first_and_lacks_what_it_lacks() {
        let doc = sample();
        let pages = doc.get_pages();
        let first = pages[&1];
        let own_page = dictionary! { "Type" => "Page", "Rotate" => 90 };
        let changes = Changes {
            objects: BTreeMap::from([(first, Some(own_page.clone().into())), (pages[&3], None)]),
            trailer: doc.trailer.clone(),
            count: doc.objects.len() - 1,
        };
        let view = View::Changed { base: &doc, changes: &changes };
        assert_eq!(view.get_dictionary(first).ok(), Some(&own_page));
        assert!(view.get_object(pages[&3]).is_err());
        assert!(!view.ids().contains(&pages[&3]));
        assert_eq!(view.ids().len(), doc.objects.len() - 1);
        // The same revision as a document of its own.
        let mut whole = Document::with_version("1.7");
        whole.trailer = changes.trailer.clone();
        for id in view.ids() {
            whole.objects.insert(id, view.stored(id).unwrap().clone());
        }
        assert_eq!(view.get_pages(), whole.get_pages());
        assert_eq!(whole.objects.len(), changes.count);
    }

    #[test]
    fn reference_chains_end_at_lopdfs_limit() {
        let mut doc = Document::with_version("1.7");
        doc.objects.insert((1, 0), Object::Reference((2, 0)));
        doc.objects.insert((2, 0), Object::Reference((1, 0)));
        let own = Own(&doc);
        assert!(matches!(own.get_object((1, 0)), Err(Error::ReferenceLimit)));
        assert!(matches!(doc.get_object((1, 0)), Err(Error::ReferenceLimit)));
        assert_eq!(own.resolved((1, 0)), None);

        // A chain 10 → 11 → … → 140 → 42, and one that ends at a missing object: from every
        // start, the trait's answers (for a document and for a view) are lopdf's.
        let mut doc = Document::with_version("1.7");
        for n in 10..140 {
            doc.objects.insert((n, 0), Object::Reference((n + 1, 0)));
        }
        doc.objects.insert((140, 0), Object::Integer(42));
        doc.objects.insert((200, 0), Object::Reference((201, 0)));
        let own = Own(&doc);
        for start in (9..=141).chain([200]) {
            let lopdf = Document::get_object(&doc, (start, 0)).ok();
            assert_eq!(Objects::get_object(&doc, (start, 0)).ok(), lopdf, "from {start}");
            assert_eq!(own.get_object((start, 0)).ok(), lopdf, "from {start}");
            assert_eq!(own.resolved((start, 0)), lopdf, "from {start}");
            assert_eq!(Objects::resolved(&doc, (start, 0)), lopdf, "from {start}");
        }
        // The limit is reached for the longest chains, so the comparison above covers it.
        assert!(Document::get_object(&doc, (10, 0)).is_err() && Document::get_object(&doc, (20, 0)).is_ok());
    }
}
