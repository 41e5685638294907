"""Bundled JSON-LD context documents, loaded offline by `protocol.jsonld`.

Where the less obvious ones come from:
- `lemmy-context.jsonld`: https://join-lemmy.org/context.json, verbatim from LemmyNet/joinlemmy-site
  `src/assets/lemmy_federation_context.json` (the site serves that file at /context.json).
- `gotosocial-ns.jsonld`: https://gotosocial.org/ns, rebuilt from GoToSocial's own vocabulary (the
  `gotosocial` types and properties of code.superseriousbusiness.org/activity/streams, vendored in
  superseriousbusiness/gotosocial), in the form of the copy Fedify preloads (`@fedify/fedify` 1.10
  `preloadedContexts`): every term `gts:<name>`, IRI-valued properties with `"@type": "@id"`.
- `litepub-0.1.jsonld`: Pleroma/Akkoma's `/schemas/litepub-0.1.jsonld`.
"""
