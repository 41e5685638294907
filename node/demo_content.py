"""Sample content for `maillage demo`: three regional networks sharing the practices the P'ACTS seed
text names, in French, English and Spanish. Each entry is (node, front matter, Markdown body)."""

from typing import Any

DemoItem = tuple[str, dict[str, Any], str]

NODES = (
    ("quebec", "Chantier d'économie sociale du Québec (démo)", "fr"),
    ("brasil", "Rede Brasileira de Economia Solidária (demo)", "es"),
    ("france", "Réseau des territoires solidaires (démo)", "fr"),
)

ITEMS: list[DemoItem] = [
    ("quebec", {
        "type": "practice", "slug": "cooperative-consommateurs", "lang": "fr",
        "title": "Une coopérative de consommateurs qui achète directement aux producteurs",
        "summary": "Des milliers de ménages négocient les prix avec les producteurs selon leurs besoins. "
                   "Le modèle du Seikatsu Club adapté à un territoire rural.",
        "themes": ["ethical-consumption", "fair-trade", "food-sovereignty"],
        "territory": {"name": "Bas-Saint-Laurent", "locality": "Rimouski", "region": "Québec", "country": "CA",
                      "latitude": 48.45, "longitude": -68.52},
        "stakeholders": [{"name": "Coopérative Le Panier solidaire", "role": "porteuse du projet"},
                         {"name": "Syndicat des producteurs bio", "role": "partenaire"}],
        "needs": "Des producteurs isolés, des prix instables, des familles sans accès à une alimentation saine.",
        "resources": [{"label": "Parts sociales des membres", "monetary": True, "origin": "private"},
                      {"label": "Bénévolat pour la distribution", "monetary": False, "origin": "private"},
                      {"label": "Subvention municipale de démarrage", "monetary": True, "origin": "public"}],
        "results": "1 200 ménages membres, 40 producteurs, des prix négociés chaque saison.",
        "lessons": "La négociation collective des prix crée la confiance ; la logistique est le vrai défi.",
        "transferability": "Reproductible partout où un noyau de membres s'engage à acheter régulièrement.",
        "contact": {"name": "Marie Tremblay", "email": "contact@panier.example"},
        "license": "https://creativecommons.org/licenses/by-sa/4.0/",
    }, "Depuis 2019, la coopérative organise des **achats groupés** négociés avec les producteurs de la région."),
    ("quebec", {
        "type": "practice", "slug": "cooperative-consommateurs", "lang": "en",
        "title": "A consumers' cooperative buying directly from producers",
        "summary": "Thousands of households negotiate prices with producers according to their needs. "
                   "The Seikatsu Club model adapted to a rural territory.",
        "needs": "Isolated producers, unstable prices, families without access to healthy food.",
        "results": "1,200 member households, 40 producers, prices negotiated each season.",
    }, "Since 2019 the cooperative has organised **group purchases** negotiated with the region's producers."),
    ("brasil", {
        "type": "practice", "slug": "grupos-compra-solidaria", "lang": "es",
        "title": "Grupos de compra solidaria entre productores y consumidores",
        "summary": "Familias urbanas y agricultores familiares se organizan para comprar y vender sin "
                   "intermediarios. El precio justo se decide en asamblea.",
        "themes": ["food-sovereignty", "social-finance", "commons"],
        "territory": {"name": "Región metropolitana de Porto Alegre", "locality": "Porto Alegre",
                      "region": "Rio Grande do Sul", "country": "BR", "latitude": -30.03, "longitude": -51.23},
        "stakeholders": [{"name": "Cooperativa de agricultores familiares", "role": "productores"},
                         {"name": "Asociación de barrio", "role": "consumidores organizados"}],
        "resources": [{"label": "Fondo rotatorio solidario", "monetary": True, "origin": "mixed"}],
        "results": "35 grupos, 600 familias, ingresos estables para 80 agricultores.",
        "lessons": "La asamblea de precios es el corazón del sistema.",
    }, "Los grupos se reúnen cada mes para **planificar** la producción con los agricultores."),
    ("brasil", {
        "type": "practice", "slug": "grupos-compra-solidaria", "lang": "en",
        "title": "Solidarity purchasing groups between producers and consumers",
        "summary": "Urban families and family farmers organise to buy and sell without middlemen. "
                   "The fair price is decided in an assembly.",
    }, "The groups meet every month to **plan** production with the farmers."),
    ("france", {
        "type": "practice", "slug": "feuille-de-route-50-ans", "lang": "fr",
        "title": "Une feuille de route citoyenne à 50 ans",
        "summary": "Les habitants d'un territoire écrivent ensemble les étapes d'une transition sur deux "
                   "générations, avec les élus locaux.",
        "themes": ["territorial-social-dialogue", "renewable-energy", "commons"],
        "territory": {"name": "Pays de Morlaix", "locality": "Morlaix", "region": "Bretagne", "country": "FR",
                      "latitude": 48.58, "longitude": -3.83},
        "stakeholders": [{"name": "Conseil de développement", "role": "animation"},
                         {"name": "Communauté d'agglomération", "role": "partenaire public"}],
        "results": "Une charte signée par 12 communes, un budget participatif annuel.",
        "transferability": "Demande un partenariat durable avec les collectivités.",
    }, "Inspirée des **initiatives locales de développement et d'emploi**, la démarche relie court et long terme."),
    ("france", {
        "type": "journey", "slug": "voyage-apprenant-europe", "lang": "fr",
        "title": "Voyage apprenant européen : circuits courts et monnaies locales",
        "summary": "Trois jours pour visiter des initiatives bretonnes et échanger entre réseaux.",
        "themes": ["social-currency", "food-sovereignty"],
        "timezone": "Europe/Paris", "start": "2027-05-18 09:30", "end": "2027-05-20 17:00",
        "location": {"name": "Maison de l'économie sociale", "street": "12 rue de Brest", "postal_code": "29600",
                     "locality": "Morlaix", "country": "FR", "latitude": 48.577, "longitude": -3.828},
        "programme": [
            {"time": "2027-05-18 10:00", "end": "2027-05-18 12:00", "title": "Visite de la monnaie locale",
             "host": "Association Heol"},
            {"time": "2027-05-18 14:00", "end": "2027-05-18 17:00", "title": "Ferme en circuit court",
             "host": "Ferme du Bec"},
            {"time": "2027-05-20 14:00", "title": "Retour des observateurs aux hôtes", "host": "Réseau"},
        ],
        "capacity": 30, "join_mode": "free", "status": "confirmed", "cycle": "2026-2027",
    }, "Le voyage suit la méthode des Pactes locaux : au moins deux observateurs par visite."),
    ("france", {
        "type": "journey", "slug": "voyage-apprenant-europe", "lang": "es",
        "title": "Viaje de aprendizaje europeo: circuitos cortos y monedas locales",
        "summary": "Tres días para visitar iniciativas bretonas e intercambiar entre redes.",
        "timezone": "Europe/Paris", "start": "2027-05-18 09:30",
        "location": {"name": "Maison de l'économie sociale", "locality": "Morlaix", "country": "FR"},
    }, "El viaje sigue el método de los Pactos locales."),
    ("france", {
        "type": "outcome", "slug": "bilan-voyage-europe", "lang": "fr", "journey": "voyage-apprenant-europe",
        "title": "Bilan du voyage apprenant européen",
        "summary": "Ce que les réseaux ont appris, les initiatives accueillies et les objectifs pour 2028.",
        "achievements": ["Trois réseaux ont comparé leurs monnaies locales",
                         "Un guide commun des circuits courts est lancé",
                         "Deux nouvelles coopératives rejoignent le réseau"],
        "new_initiatives": ["Épicerie solidaire de Lannion", "Groupe d'achat du quartier Kerfraval"],
        "issues": ["Le financement public reste fragile"],
        "goals": ["Un voyage apprenant par an dans chaque région"],
        "next_steps": ["Rencontre nationale de bilan en novembre"],
        "feedback": "Les observateurs ont souligné la qualité de l'accueil, **sans évaluation ni jugement**.",
        "participants": ["Réseau des territoires solidaires", "Chantier d'économie sociale du Québec",
                         "Rede Brasileira de Economia Solidária"],
    }, "Trois jours d'échanges entre pairs, et une envie commune : continuer."),
]
