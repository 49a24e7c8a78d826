"""The header-name vocabulary of the roles: the regular-expression pieces their names are built from.

Names are matched after :func:`engine.loading.roles.normalise_name` (lower case,
letters and digits only), so the patterns hold no spaces or punctuation.
:data:`engine.loading.roles.ROLES` builds each role's names from these pieces;
:data:`ATTRIBUTE_NAMES` are names of numbers that describe a customer or a
line (an age, a store), never taken as a quantity or an amount by content.
Data only: adding a synonym is one edit.
"""

from __future__ import annotations

ID_END = r"(id|no|nr|num|number|code|key|ref|nummer|numero|nro|cod|codigo|codice)"  # how an id column name ends
ID_START = r"(id|no|nr|n|num|numero|nro|nummer|cod|codigo|codice|code|ref|reference|referencia)(de|du|del|di|van)?"  # "Numéro client", "id_cliente"

# ---- name patterns for the measures ------------------------------------------
# Currency codes and words around a money name ("spend_usd", "USD Amount", "value_in_dollars");
# signs such as "$" or "(€)" vanish in normalise_name, so "Sales (€)" is simply "sales".
CURRENCY = (r"(usd|eur|gbp|chf|jpy|inr|aud|cad|nzd|sgd|hkd|cny|rmb|sek|nok|dkk|brl|mxn|zar|dollars?|euros?"
            r"|pounds?|sterling|yen|rupees?|francs?)")
MONEY_WORD = r"(amount|amt|revenues?|sales|spend|spent|spending|turnover|payments?|monetary|gmv)"
MONEY_PREFIX = (r"(total|line|item|net|gross|order|sale|sales|transaction|trans|txn|invoice|purchase|payment|customer"
                r"|extended|ext|billed|charged)")
GENERIC_MONEY = r"(total|totals|value|sum|subtotal|net|gross)"
# What a money figure includes or leaves out ("sales_incl_vat", "amount_ex_tax", "pretax_total").
TAX_CLAUSE = (r"(incl|including|inc|excl|excluding|ex|before|after|netof|less|plus|with|without)"
              r"(tax|taxes|vat|gst|discounts?|returns|refunds|shipping|fees)")
# Charges that are not the goods, and figures that are not what the customer paid. The look-behinds keep
# "sales_incl_vat", "amount_ex_tax" and "pretax_total" as amounts.
NOT_GOODS = (r"(?<!incl)(?<!inc)(?<!excl)(?<!ex)(?<!including)(?<!excluding)(?<!pre)(?<!after)(?<!before)"
             r"(?<!netof)(?<!less)(?<!plus)(?<!with)(?<!without)"
             r"(tax(?!able)|vat|gst|duty|discount(?!ed)|rebate|coupon|voucher|shipping|freight|postage|delivery"
             r"|handling|refund|return|chargeback|commission"
             r"|steuer|mwst|rabatt|versand|fracht|^porto|skonto|gebuehr|remise|^tva|tva$|livraison|frais|descuento"
             r"|^iva|iva$|envio|impuesto|korting|btw|verzend|sconto|spedizione)")
NOT_REVENUE = (r"margin|profit|cost(?!ume)|budget|target|forecast|quota|balance",
               r"^(avg|average|mean|median|max|min|std)",
               r"(percent|pct|share|ratio|rate|growth|rank|score|segment|tier|band|class|group|bucket|category|type"
               r"|method|mode|status|flag|person|rep|agent|channel|count|date|time)$",
               r"quantity|qty|units|items|pieces|pcs|volume")
QTY_PREFIX = (r"(total|net|n|num|numof|no|noof|nr|nb|number|numberof|order|ordered|sold|sales|line|item|product"
              r"|unit)")
QTY_WORD = r"(quantity|quantities|qty|qnty|qtys|units|unit|items|pieces|pcs|volume|(item|unit|piece|product|total)count|count)"
QTY_SUFFIX = r"(sold|ordered|purchased|bought|shipped|delivered|sale|order|returned)"
MEASURE_UNIT = r"(kg|kgs|g|gr|lbs?|l|lt|litres?|liters?|ml|oz|tons?|tonnes?|m|pcs|pieces|units|items|ea|each)"
# Things people buy by the piece: a column named after them counts them when its values are small whole numbers.
GOODS = (r"(cds|dvds|lps|vinyls|records|albums|books|ebooks|magazines|tickets|bottles|cans|cases|boxes|packs|packets"
         r"|bags|cartons|crates|pairs|seats|nights|games|cards|licen[cs]es|copies|meals|drinks|cups|pizzas|shirts"
         r"|shoes|garments|articles|products|goods|tyres|tires|pallets|rolls|lessons|classes)")


def money(pattern: str) -> str:
    """``pattern`` with optional currency and tax words around it.

    "usdamount", "revenuegbp", "valueindollars", "salesinclvat", "pretaxtotal".
    """
    return rf"({CURRENCY}|pretax|aftertax)?({pattern})({TAX_CLAUSE})?((in)?{CURRENCY})?"


# Names of numbers that are attributes, not measures: never taken as a quantity or amount by content.
ATTRIBUTE_NAMES = (
   r"^(customer|client)?age$|birth|year|quarter|month|week|day|hour|minute|second|period|season",
   r"rating|score|stars?$|rank|level|tier|grade|priority|weight|height",
   r"store|shop|branch|outlet|channel|terminal|register|till|cashier|staff|employee|agent",
   r"zip|post(al)?code|phone|lat(itude)?$|lon(g|gitude)?$|gender|sex|flag|status|type|kind|class|segment|cluster"
   r"|group|version|size|code|(?<!pa)id$|no$|nr$|num$|number$|index|idx|row|line|seq",
)


# ---- names in other languages ----------------------------------------------------
# Exports from German, French, Spanish, Italian, Portuguese and Dutch systems ("Kunden-Nr.", "Buchungsdatum",
# "Montant TTC", "Fecha", "Aantal"). Accents are dropped before matching ("Quantité" is "quantite").
CUSTOMER_WORDS = r"(kunde|kunden|kd|kundin|cliente|clientes|klant|klanten|socio|abonne|adherent)"
# An order export keyed by the buyer's e-mail address (a web shop's "Email", "Customer Email", "Correo electrónico").
EMAIL = (r"(customer|cust|client|buyer|billing|contact|user|member|shopper|kunden?|cliente|klant)?"
         r"(e?mail|emailaddress|mailaddress|emailadresse|correo(electronico)?|courriel|adressee?mail|adresseelectronique)")
ORDER_WORDS = (r"(beleg|rechnung|rechnungs|bestellung|bestell|auftrag|auftrags|vorgang|bon|commande|facture|ticket"
               r"|factura|pedido|boleta|bestelling|factuur|ordine|fattura|scontrino|recibo)")
DATE_WORDS = (r"(buchungs|beleg|rechnungs|bestell|kauf|verkaufs|transaktions|umsatz|auftrags|factuur|bestel|order"
              r"|aankoop|verkoop|transactie)?datum"
              r"|fecha(de)?(factura|pedido|venta|compra|transaccion|operacion|emision)?"
              r"|date(de|du)?(la)?(facture|commande|vente|achat|transaction|operation|ticket)"
              r"|data(de|do|da|di|del|della)?(fattura|ordine|vendita|acquisto|transazione|compra|venda|pedido|emissao)")
AMOUNT_WORDS = (r"(netto|brutto|gesamt|rechnungs|umsatz|zahl|beleg|end)?(betrag|umsatz)(netto|brutto|eur|euro)?"
                r"|umsatzbetrag|verkaufswert|warenwert|chiffredaffaires|montant(total|ht|ttc|net|brut|eur)?"
                r"|importe(total|neto|bruto|eur)?|monto(total)?|ventas?|valor(total|venda|compra)?"
                r"|(totaal|netto|bruto)?bedrag|omzet|importo(totale)?|fatturato|totale|gesamtsumme|summe")
QUANTITY_WORDS = (r"(menge|anzahl|stuck|stueck|stk|absatz|absatzmenge|verkaufsmenge|bestellmenge|quantite|qte"
                  r"|cantidad|cant|aantal|quantita|quantidade|qtd|unidades|unites|pezzi|stuks)")
PRODUCT_WORDS = r"(artikel|produkt|producto|produit|prodotto|articulo|articolo|artigo|material|ware|referencia)"
CATEGORY_WORDS = (r"(waren|produkt|artikel)?(gruppe|kategorie|warengruppe|sparte)|categoria|categorie|famille"
                  r"|familia|rubrique|productgroep|artikelgroep|reparto")
REGION_WORDS = (r"(bundes)?land|stadt|ort|wohnort|pays|ville|departement|pais|ciudad|provincia|comunidad|regio"
                r"|stad|gemeente|provincie|paese|citta|regione|cidade")
SIGNUP_WORDS = (r"(anmelde|registrierungs|eintritts|erstkauf)datum|kundeseit|(date|fecha|data)(de|du|d)?"
                r"(inscription|adhesion|alta|registro|iscrizione|cadastro)|inschrijfdatum|klantsinds|clientdepuis")
