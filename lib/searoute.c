/*
 * searoute: the sea-lane graph and port-to-port routes (see searoute.h).
 *
 * Every edge has been checked against Natural Earth's 1:50m land polygons,
 * sampled every 5 km along its great circle (tests/e2e/synth-sea.sh does it
 * again on every run), except the two canals, which cross land at that
 * scale.  Rivers up to inland ports (Hamburg, Antwerp, Guangzhou, Houston,
 * Shanghai) are followed by approach waypoints.  Coordinates are degrees.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "searoute.h"
#include "synth.h"
#include "util.h"
#include "banned.h"

#define W(name, lat, lon)	{ name, lat, lon, SEAROUTE_WAYPOINT }
#define A(name, lat, lon)	{ name, lat, lon, SEAROUTE_ANCHORAGE }

static const struct node {
	const char *name;
	double	 lat, lon;
	enum searoute_kind kind;
} nodes[] = {
	/* East and South-East Asia */
	W("Singapore Strait west", 1.16, 103.55),
	W("Singapore Strait", 1.2, 103.85),
	W("Singapore Strait east", 1.28, 104.35),
	W("Malacca Strait south", 1.75, 102.45),
	W("One Fathom Bank", 2.85, 100.95),
	W("Klang", 2.985, 101.325),
	W("Malacca Strait", 4.2, 99.6),
	W("Malacca Strait north", 5.9, 97.8),
	W("Great Channel", 6.0, 94.5),
	W("South China Sea south", 2.5, 105.0),
	W("Con Son", 7.0, 107.5),
	W("Cape Padaran", 10.5, 109.5),
	W("Paracel", 14.5, 112.0),
	W("Hong Kong south", 21.8, 114.3),
	W("Pearl River Estuary", 22.2, 113.8),
	W("Pearl River", 22.7, 113.6016),
	W("Sulphur Channel", 22.295, 114.1),
	W("Taiwan Strait south", 23.0, 118.0),
	W("Taiwan Strait north", 25.5, 120.3),
	W("Luzon Strait", 20.5, 120.9),
	W("East China Sea", 28.5, 122.8),
	W("Yangtze approach", 31.0, 122.6),
	W("Yangtze", 31.16, 121.9377),
	W("Jeju south", 32.9, 126.6),
	W("Korea Strait", 34.4, 128.9),
	W("Yellow Sea", 35.5, 123.0),
	W("Shandong east", 37.0, 123.0),
	W("Chengshan", 37.6, 122.8),
	W("Bohai Strait", 38.55, 121.0),
	W("Bohai", 38.8, 119.0),
	W("Kyushu west", 32.0, 129.4),
	W("Satsuma south", 30.05, 130.5),
	W("Tanegashima south", 30.1, 130.9),
	W("Shikoku south", 32.5, 134.0),
	W("Kii south", 33.1, 135.8),
	W("Izu south", 34.3, 138.8),
	W("Sagami Nada", 34.85, 139.3),
	W("Oshima east", 34.8, 139.65),
	W("Uraga Channel", 35.15, 139.75),
	W("Nojimazaki", 34.7, 140.0),
	/* Pacific */
	W("North Pacific west", 35.0, 150.0),
	W("North Pacific", 42.0, 170.0),
	W("North Pacific central", 46.0, -170.0),
	W("North Pacific east", 45.0, -140.0),
	W("Juan de Fuca entrance", 48.45, -125.0),
	W("Juan de Fuca", 48.25, -123.8),
	W("Victoria", 48.38, -123.28),
	W("Haro Strait", 48.55, -123.22),
	W("Boundary Pass", 48.75, -123.05),
	W("Strait of Georgia", 49.1, -123.4),
	W("First Narrows", 49.3, -123.12),
	W("Cape Mendocino", 40.3, -125.2),
	W("Point Sur", 36.0, -122.5),
	W("Santa Barbara Channel west", 34.25, -120.6),
	W("Santa Barbara Channel east", 34.15, -119.4),
	W("San Pedro Channel", 33.55, -118.3),
	W("Baja north", 32.0, -117.8),
	W("Baja central", 27.5, -115.8),
	W("Cabo San Lucas", 22.6, -110.0),
	W("Acapulco", 16.0, -100.0),
	W("Gulf of Tehuantepec", 14.5, -95.0),
	W("Central America", 11.5, -88.5),
	W("Coiba south", 7.0, -81.5),
	W("Punta Mariato", 6.8, -80.5),
	W("Gulf of Panama", 8.3, -79.3),
	W("Panama Canal Pacific", 8.88, -79.52),
	W("Pedro Miguel", 9.02, -79.61),
	W("Gamboa", 9.12, -79.7),
	W("Gatun", 9.27, -79.92),
	W("Panama Canal Atlantic", 9.4, -79.92),
	W("Gulf of Guayaquil", -3.0, -82.0),
	W("Punta Aguja", -6.2, -81.6),
	W("Peru", -12.0, -79.0),
	W("Chile central", -33.0, -73.5),
	W("Chile south", -50.0, -77.5),
	W("Tierra del Fuego west", -55.3, -72.5),
	W("Cape Horn", -56.3, -67.3),
	W("Staten Island east", -55.3, -63.5),
	/* Atlantic, Americas */
	W("Argentina", -40.0, -56.0),
	W("Ilhabela south", -24.15, -45.2),
	W("Cabo Frio", -23.3, -41.7),
	W("Abrolhos east", -18.0, -38.3),
	W("Bahia", -14.0, -37.0),
	W("Brazil east", -6.0, -33.5),
	W("Atlantic tropical", 11.0, -50.0),
	W("Barbuda north", 18.2, -61.5),
	W("Atlantic equator", 0.0, -30.0),
	W("South Atlantic", -20.0, -20.0),
	W("Colon approach", 9.6, -79.9),
	W("Caribbean west", 13.0, -78.0),
	W("Yucatan Channel", 21.7, -85.9),
	W("Gulf of Mexico", 25.0, -89.0),
	W("Galveston Bay", 29.405, -94.785),
	W("Florida Keys", 24.3, -82.5),
	W("Florida Strait", 24.2, -81.0),
	W("Florida east", 25.6, -79.95),
	W("Cape Canaveral", 28.5, -80.0),
	W("Cape Hatteras", 35.0, -75.0),
	W("New York approach", 40.35, -73.7),
	W("The Narrows", 40.55, -74.02),
	W("Mona Passage", 18.2, -67.9),
	W("Anegada Passage", 18.4, -63.8),
	W("Caribbean east", 15.0, -72.0),
	W("Atlantic north-west", 40.0, -65.0),
	W("Atlantic west", 25.0, -60.0),
	W("Atlantic north", 45.0, -40.0),
	W("Atlantic central", 32.0, -40.0),
	W("Atlantic north-east", 48.0, -15.0),
	/* Europe and the Mediterranean */
	W("Ushant", 48.5, -5.6),
	W("English Channel west", 49.5, -5.0),
	W("English Channel", 50.2, -1.0),
	W("Dover Strait", 51.0, 1.45),
	W("North Sea south", 51.8, 2.5),
	W("Texel west", 53.1, 4.35),
	W("Frisian Islands", 53.75, 5.6),
	W("German Bight", 54.0, 7.6),
	W("Elbe", 53.8537, 9.27),
	W("Elbe Hamburg", 53.6037, 9.61),
	W("Scheldt", 51.4173, 3.62),
	W("Finisterre", 43.2, -10.0),
	W("Cape St Vincent", 36.8, -9.5),
	W("Gibraltar west", 35.95, -6.2),
	W("Strait of Gibraltar", 35.95, -5.5),
	W("Alboran Sea", 36.1, -3.5),
	W("Cabo de Gata", 36.6, -2.0),
	W("Cabo de Palos", 37.6, -0.5),
	W("Cape La Nao", 38.75, 0.35),
	W("Balearic Channel", 38.8, 0.8),
	W("Sardinia south", 38.5, 8.5),
	W("Sicily Channel", 37.3, 11.6),
	W("Malta Channel", 36.45, 14.6),
	W("Ionian Sea", 36.0, 19.0),
	W("Matapan", 36.05, 22.5),
	W("Kythira south", 35.98, 23.1),
	W("Crete west", 35.3, 23.3),
	W("Crete south", 34.6, 24.5),
	W("Saronic Gulf", 37.55, 23.65),
	W("East Mediterranean", 33.0, 29.0),
	W("Port Said approach", 31.5, 32.3),
	W("Port Said", 31.27, 32.32),
	W("Lake Timsah", 30.57, 32.29),
	W("Great Bitter Lake", 30.33, 32.38),
	W("Suez", 29.93, 32.56),
	/* Red Sea, Arabia, Indian Ocean, Africa */
	W("Gulf of Suez", 28.47, 33.13),
	W("Gulf of Suez south", 27.9, 33.7),
	W("Red Sea north", 27.0, 34.4),
	W("Red Sea central", 22.0, 37.9),
	W("Red Sea south", 15.0, 41.8),
	W("Bab-el-Mandeb", 12.6, 43.35),
	W("Gulf of Aden", 12.3, 46.0),
	W("Gulf of Aden east", 12.6, 50.5),
	W("Socotra north", 13.3, 53.0),
	W("Arabian Sea", 15.0, 60.0),
	W("Ras al Hadd", 22.7, 60.2),
	W("Gulf of Oman", 25.0, 57.8),
	W("Strait of Hormuz", 26.5, 56.6),
	W("Persian Gulf", 26.2, 54.8),
	W("Dondra Head", 5.5, 80.6),
	W("Indian Ocean central", -10.0, 80.0),
	W("Indian Ocean south-west", -30.0, 60.0),
	W("Madagascar south", -28.0, 45.0),
	W("Transkei", -32.5, 29.8),
	W("Algoa Bay south", -34.4, 26.0),
	W("Agulhas", -35.5, 22.0),
	W("Cape of Good Hope", -34.6, 18.3),
	W("Hout Bay west", -34.05, 18.2),
	W("South Atlantic east", -25.0, 10.0),
	W("Angola", -12.0, 11.0),
	W("Gulf of Guinea", 2.0, 4.0),
	W("Gulf of Guinea west", 3.5, -5.0),
	W("Cape Palmas", 4.0, -7.8),
	W("Liberia", 6.0, -12.0),
	W("Cape Verde", 14.5, -18.5),
	W("Canaries west", 29.0, -19.0),
	/* anchorages, by port */
	A("Singapore anchorage", 1.22, 103.8),
	A("Shanghai anchorage", 31.1, 122.0),
	A("Hong Kong anchorage", 22.2, 114.05),
	A("Busan anchorage", 35.0, 129.1),
	A("Guangzhou anchorage", 22.2, 113.75),
	A("Qingdao anchorage", 35.95, 120.55),
	A("Tokyo anchorage", 35.45, 139.8),
	A("Port Klang anchorage", 2.95, 101.2),
	A("Kaohsiung anchorage", 22.55, 120.2),
	A("Tianjin anchorage", 38.95, 118.1),
	A("Rotterdam anchorage", 52.0, 3.85),
	A("Antwerp anchorage", 51.45, 3.45),
	A("Hamburg anchorage", 53.95, 8.4),
	A("Valencia anchorage", 39.4, -0.22),
	A("Piraeus anchorage", 37.85, 23.58),
	A("Felixstowe anchorage", 51.9, 1.6),
	A("Dubai anchorage", 25.35, 55.15),
	A("Jeddah anchorage", 21.5, 39.05),
	A("Los Angeles anchorage", 33.68, -118.25),
	A("Long Beach anchorage", 33.7, -118.15),
	A("New York anchorage", 40.45, -73.8),
	A("Savannah anchorage", 31.9, -80.7),
	A("Houston anchorage", 29.3, -94.65),
	A("Vancouver anchorage", 49.25, -123.35),
	A("Santos anchorage", -24.05, -46.3),
	A("Manzanillo anchorage", 18.92, -104.45),
	A("Cape Town anchorage", -33.87, 18.38),
	A("Durban anchorage", -29.9, 31.15),
	A("Lagos anchorage", 6.25, 3.4),
};
#undef W
#undef A

#define L(a, b)	{ a, b, SEAROUTE_LANE }
#define P(a, b)	{ a, b, SEAROUTE_APPROACH }
#define C(a, b)	{ a, b, SEAROUTE_CANAL }

static const struct edge {
	const char *a, *b;
	enum searoute_kind kind;
} edges[] = {
	/* Singapore, Malacca, the Bay of Bengal */
	L("Singapore Strait west", "Singapore Strait"),
	L("Singapore Strait", "Singapore Strait east"),
	L("Singapore Strait west", "Malacca Strait south"),
	L("Malacca Strait south", "One Fathom Bank"),
	L("One Fathom Bank", "Malacca Strait"),
	L("Malacca Strait", "Malacca Strait north"),
	L("Malacca Strait north", "Great Channel"),
	L("Great Channel", "Dondra Head"),
	L("Great Channel", "Indian Ocean central"),
	/* South China Sea to Japan */
	L("Singapore Strait east", "South China Sea south"),
	L("South China Sea south", "Con Son"),
	L("Con Son", "Cape Padaran"),
	L("Cape Padaran", "Paracel"),
	L("Paracel", "Hong Kong south"),
	L("Paracel", "Luzon Strait"),
	L("Hong Kong south", "Pearl River Estuary"),
	L("Hong Kong south", "Taiwan Strait south"),
	L("Hong Kong south", "Luzon Strait"),
	L("Taiwan Strait south", "Taiwan Strait north"),
	L("Taiwan Strait south", "Kaohsiung anchorage"),
	L("Luzon Strait", "Kaohsiung anchorage"),
	L("Taiwan Strait north", "East China Sea"),
	L("East China Sea", "Yangtze approach"),
	L("East China Sea", "Jeju south"),
	L("East China Sea", "Tanegashima south"),
	L("Yangtze approach", "Jeju south"),
	L("Yangtze approach", "Yellow Sea"),
	L("Jeju south", "Korea Strait"),
	L("Jeju south", "Kyushu west"),
	L("Yellow Sea", "Shandong east"),
	L("Shandong east", "Chengshan"),
	L("Chengshan", "Bohai Strait"),
	L("Bohai Strait", "Bohai"),
	L("Korea Strait", "Kyushu west"),
	L("Kyushu west", "Satsuma south"),
	L("Satsuma south", "Tanegashima south"),
	L("Tanegashima south", "Shikoku south"),
	L("Shikoku south", "Kii south"),
	L("Kii south", "Izu south"),
	L("Izu south", "Sagami Nada"),
	L("Sagami Nada", "Oshima east"),
	L("Sagami Nada", "Uraga Channel"),
	L("Oshima east", "Uraga Channel"),
	L("Oshima east", "Nojimazaki"),
	L("Luzon Strait", "North Pacific west"),
	/* The Pacific and the Americas' west coast */
	L("Nojimazaki", "North Pacific west"),
	L("Nojimazaki", "North Pacific"),
	L("North Pacific west", "North Pacific"),
	L("North Pacific", "North Pacific central"),
	L("North Pacific central", "North Pacific east"),
	L("North Pacific central", "Juan de Fuca entrance"),
	L("North Pacific east", "Juan de Fuca entrance"),
	L("North Pacific east", "Santa Barbara Channel west"),
	L("Juan de Fuca entrance", "Juan de Fuca"),
	L("Juan de Fuca", "Victoria"),
	L("Victoria", "Haro Strait"),
	L("Haro Strait", "Boundary Pass"),
	L("Boundary Pass", "Strait of Georgia"),
	L("Strait of Georgia", "Vancouver anchorage"),
	L("Juan de Fuca entrance", "Cape Mendocino"),
	L("Cape Mendocino", "Point Sur"),
	L("Point Sur", "Santa Barbara Channel west"),
	L("Santa Barbara Channel west", "Santa Barbara Channel east"),
	L("Santa Barbara Channel east", "San Pedro Channel"),
	L("San Pedro Channel", "Baja north"),
	L("Baja north", "Baja central"),
	L("Baja central", "Cabo San Lucas"),
	L("Cabo San Lucas", "Manzanillo anchorage"),
	L("Manzanillo anchorage", "Acapulco"),
	L("Acapulco", "Gulf of Tehuantepec"),
	L("Gulf of Tehuantepec", "Central America"),
	L("Central America", "Coiba south"),
	L("Coiba south", "Punta Mariato"),
	L("Punta Mariato", "Gulf of Panama"),
	L("Gulf of Panama", "Panama Canal Pacific"),
	L("Punta Mariato", "Gulf of Guayaquil"),
	L("Gulf of Guayaquil", "Punta Aguja"),
	L("Punta Aguja", "Peru"),
	L("Peru", "Chile central"),
	L("Chile central", "Chile south"),
	L("Chile south", "Tierra del Fuego west"),
	L("Tierra del Fuego west", "Cape Horn"),
	L("Cape Horn", "Staten Island east"),
	L("Staten Island east", "Argentina"),
	/* Panama Canal */
	C("Panama Canal Pacific", "Pedro Miguel"),
	C("Pedro Miguel", "Gamboa"),
	C("Gamboa", "Gatun"),
	C("Gatun", "Panama Canal Atlantic"),
	/* The Caribbean, the Gulf of Mexico, the US east coast */
	L("Panama Canal Atlantic", "Colon approach"),
	L("Colon approach", "Caribbean west"),
	L("Caribbean west", "Yucatan Channel"),
	L("Caribbean west", "Caribbean east"),
	L("Caribbean east", "Mona Passage"),
	L("Caribbean east", "Anegada Passage"),
	L("Yucatan Channel", "Gulf of Mexico"),
	L("Gulf of Mexico", "Houston anchorage"),
	L("Gulf of Mexico", "Florida Keys"),
	L("Florida Keys", "Florida Strait"),
	L("Florida Strait", "Florida east"),
	L("Florida east", "Cape Canaveral"),
	L("Cape Canaveral", "Savannah anchorage"),
	L("Savannah anchorage", "Cape Hatteras"),
	L("Cape Hatteras", "New York approach"),
	L("New York approach", "New York anchorage"),
	L("New York approach", "Atlantic north-west"),
	L("Cape Hatteras", "Atlantic west"),
	L("Mona Passage", "Atlantic west"),
	L("Mona Passage", "Cape Hatteras"),
	L("Anegada Passage", "Atlantic west"),
	L("Anegada Passage", "Atlantic central"),
	L("Anegada Passage", "Barbuda north"),
	L("Barbuda north", "Atlantic tropical"),
	L("Atlantic tropical", "Atlantic equator"),
	L("Atlantic west", "Atlantic central"),
	L("Atlantic north-west", "Atlantic north"),
	L("Atlantic north-west", "Atlantic central"),
	L("Atlantic north", "Atlantic north-east"),
	L("Atlantic central", "Cape St Vincent"),
	L("Atlantic central", "Canaries west"),
	L("Atlantic north-east", "Ushant"),
	L("Atlantic north-east", "Finisterre"),
	/* South America's east coast, the South Atlantic */
	L("Argentina", "Santos anchorage"),
	L("Santos anchorage", "Ilhabela south"),
	L("Ilhabela south", "Cabo Frio"),
	L("Cabo Frio", "Abrolhos east"),
	L("Abrolhos east", "Bahia"),
	L("Bahia", "Brazil east"),
	L("Brazil east", "Atlantic equator"),
	L("Atlantic equator", "Cape Verde"),
	L("Cabo Frio", "South Atlantic"),
	L("South Atlantic", "Cape of Good Hope"),
	L("South Atlantic", "Atlantic equator"),
	L("South Atlantic", "Angola"),
	/* Europe */
	L("Ushant", "English Channel west"),
	L("English Channel west", "English Channel"),
	L("English Channel", "Dover Strait"),
	L("Dover Strait", "North Sea south"),
	L("Dover Strait", "Antwerp anchorage"),
	L("North Sea south", "Felixstowe anchorage"),
	L("North Sea south", "Rotterdam anchorage"),
	L("North Sea south", "Antwerp anchorage"),
	L("Rotterdam anchorage", "Texel west"),
	L("Texel west", "Frisian Islands"),
	L("Frisian Islands", "German Bight"),
	L("German Bight", "Hamburg anchorage"),
	L("Ushant", "Finisterre"),
	L("Finisterre", "Cape St Vincent"),
	L("Cape St Vincent", "Gibraltar west"),
	L("Cape St Vincent", "Canaries west"),
	L("Gibraltar west", "Strait of Gibraltar"),
	L("Strait of Gibraltar", "Alboran Sea"),
	L("Alboran Sea", "Cabo de Gata"),
	L("Cabo de Gata", "Cabo de Palos"),
	L("Cabo de Palos", "Cape La Nao"),
	L("Cape La Nao", "Valencia anchorage"),
	L("Cabo de Gata", "Sardinia south"),
	L("Valencia anchorage", "Balearic Channel"),
	L("Balearic Channel", "Sardinia south"),
	L("Sardinia south", "Sicily Channel"),
	L("Sicily Channel", "Malta Channel"),
	L("Malta Channel", "Ionian Sea"),
	L("Ionian Sea", "Matapan"),
	L("Matapan", "Kythira south"),
	L("Kythira south", "Saronic Gulf"),
	L("Saronic Gulf", "Piraeus anchorage"),
	L("Kythira south", "Crete west"),
	L("Crete west", "Crete south"),
	L("Ionian Sea", "Crete south"),
	L("Crete south", "East Mediterranean"),
	L("East Mediterranean", "Port Said approach"),
	L("Port Said approach", "Port Said"),
	/* Suez Canal */
	C("Port Said", "Lake Timsah"),
	C("Lake Timsah", "Great Bitter Lake"),
	C("Great Bitter Lake", "Suez"),
	/* Red Sea, Arabia, the Indian Ocean */
	L("Suez", "Gulf of Suez"),
	L("Gulf of Suez", "Gulf of Suez south"),
	L("Gulf of Suez south", "Red Sea north"),
	L("Red Sea north", "Red Sea central"),
	L("Red Sea central", "Jeddah anchorage"),
	L("Red Sea central", "Red Sea south"),
	L("Red Sea south", "Bab-el-Mandeb"),
	L("Bab-el-Mandeb", "Gulf of Aden"),
	L("Gulf of Aden", "Gulf of Aden east"),
	L("Gulf of Aden east", "Socotra north"),
	L("Socotra north", "Arabian Sea"),
	L("Arabian Sea", "Ras al Hadd"),
	L("Ras al Hadd", "Gulf of Oman"),
	L("Gulf of Oman", "Strait of Hormuz"),
	L("Strait of Hormuz", "Persian Gulf"),
	L("Persian Gulf", "Dubai anchorage"),
	L("Arabian Sea", "Dondra Head"),
	L("Gulf of Aden east", "Indian Ocean central"),
	L("Dondra Head", "Indian Ocean central"),
	L("Indian Ocean central", "Indian Ocean south-west"),
	L("Indian Ocean south-west", "Madagascar south"),
	L("Madagascar south", "Durban anchorage"),
	L("Durban anchorage", "Transkei"),
	L("Transkei", "Algoa Bay south"),
	L("Algoa Bay south", "Agulhas"),
	L("Agulhas", "Cape of Good Hope"),
	L("Agulhas", "Indian Ocean south-west"),
	L("Cape of Good Hope", "Hout Bay west"),
	L("Hout Bay west", "Cape Town anchorage"),
	L("Cape of Good Hope", "South Atlantic east"),
	L("South Atlantic east", "Angola"),
	L("Angola", "Gulf of Guinea"),
	L("Gulf of Guinea", "Lagos anchorage"),
	L("Gulf of Guinea", "Gulf of Guinea west"),
	L("Gulf of Guinea west", "Cape Palmas"),
	L("Cape Palmas", "Liberia"),
	L("Liberia", "Cape Verde"),
	L("Cape Verde", "Canaries west"),
	/* approaches: anchorage to berth */
	P("Singapore anchorage", "Singapore Strait"),
	P("Singapore anchorage", "SGSIN"),
	P("Yangtze approach", "Shanghai anchorage"),
	P("Shanghai anchorage", "Yangtze"),
	P("Yangtze", "CNSHA"),
	P("Hong Kong south", "Hong Kong anchorage"),
	P("Hong Kong anchorage", "Sulphur Channel"),
	P("Sulphur Channel", "HKHKG"),
	P("Korea Strait", "Busan anchorage"),
	P("Busan anchorage", "KRPUS"),
	P("Pearl River Estuary", "Guangzhou anchorage"),
	P("Guangzhou anchorage", "Pearl River"),
	P("Pearl River", "CNCAN"),
	P("Yellow Sea", "Qingdao anchorage"),
	P("Qingdao anchorage", "CNTAO"),
	P("Uraga Channel", "Tokyo anchorage"),
	P("Tokyo anchorage", "JPTYO"),
	P("One Fathom Bank", "Port Klang anchorage"),
	P("Port Klang anchorage", "Klang"),
	P("Klang", "MYPKG"),
	P("Kaohsiung anchorage", "TWKHH"),
	P("Bohai", "Tianjin anchorage"),
	P("Tianjin anchorage", "CNTXG"),
	P("Rotterdam anchorage", "NLRTM"),
	P("Antwerp anchorage", "Scheldt"),
	P("Scheldt", "BEANR"),
	P("Hamburg anchorage", "Elbe"),
	P("Elbe", "Elbe Hamburg"),
	P("Elbe Hamburg", "DEHAM"),
	P("Valencia anchorage", "ESVLC"),
	P("Piraeus anchorage", "GRPIR"),
	P("Felixstowe anchorage", "GBFXT"),
	P("Dubai anchorage", "AEDXB"),
	P("Jeddah anchorage", "SAJED"),
	P("San Pedro Channel", "Los Angeles anchorage"),
	P("Los Angeles anchorage", "USLAX"),
	P("San Pedro Channel", "Long Beach anchorage"),
	P("Long Beach anchorage", "USLGB"),
	P("New York anchorage", "The Narrows"),
	P("The Narrows", "USNYC"),
	P("Savannah anchorage", "USSAV"),
	P("Houston anchorage", "Galveston Bay"),
	P("Galveston Bay", "USHOU"),
	P("Vancouver anchorage", "First Narrows"),
	P("First Narrows", "CAVAN"),
	P("Santos anchorage", "BRSSZ"),
	P("Manzanillo anchorage", "MXZLO"),
	P("Cape Town anchorage", "ZACPT"),
	P("Durban anchorage", "ZADUR"),
	P("Lagos anchorage", "NGLOS"),
};
#undef L
#undef P
#undef C

#define NNODES	(sizeof(nodes) / sizeof(nodes[0]))
#define NEDGES	(sizeof(edges) / sizeof(edges[0]))

struct searoute {
	int	 nnodes, nberths;
	const char **name;		/* per node */
	double	*lat, *lon;		/* per node */
	enum searoute_kind *kind;	/* per node */
	int	*ea, *eb;		/* per edge: node indices */
	double	*elen;			/* per edge: nm */
	struct searoute_path *paths;	/* nberths * nberths */
	double	*arena;			/* the paths' points */
};

static int
node_index(const struct searoute *r, const char *name)
{
	int i;

	for (i = 0; i < r->nnodes; i++)
		if (strcmp(r->name[i], name) == 0)
			return i;
	return -1;
}

/* Dijkstra from node src (O(V^2) with an edge scan: the graph is small). */
static void
shortest(const struct searoute *r, int src, double *dist, int *prev)
{
	char *done = xcalloc((size_t)r->nnodes, 1);
	size_t e;
	int i, u;

	for (i = 0; i < r->nnodes; i++) {
		dist[i] = INFINITY;
		prev[i] = -1;
	}
	dist[src] = 0;
	for (;;) {
		u = -1;
		for (i = 0; i < r->nnodes; i++)
			if (!done[i] && isfinite(dist[i]) &&
			    (u < 0 || dist[i] < dist[u]))
				u = i;
		if (u < 0)
			break;
		done[u] = 1;
		for (e = 0; e < NEDGES; e++) {
			int v = r->ea[e] == u ? r->eb[e] :
			    r->eb[e] == u ? r->ea[e] : -1;

			/* Another port's berth is an end, never a way. */
			if (v < 0 || (r->kind[u] == SEAROUTE_BERTH && u != src))
				continue;
			if (dist[u] + r->elen[e] < dist[v]) {
				dist[v] = dist[u] + r->elen[e];
				prev[v] = u;
			}
		}
	}
	free(done);
}

/* Fills the route from berth i to berth j from Dijkstra's prev array. */
static void
path_fill(struct searoute *r, struct searoute_path *p, const int *prev,
    int to, double **arena)
{
	double *lat, *lon, *cum, *brg;
	int n = 0, k, u;

	for (u = to; u >= 0; u = prev[u])
		n++;
	lat = *arena;
	lon = lat + n;
	cum = lon + n;
	brg = cum + n;
	*arena = brg + n;
	for (u = to, k = n - 1; u >= 0; u = prev[u], k--) {
		lat[k] = r->lat[u];
		lon[k] = r->lon[u];
	}
	cum[0] = 0;
	for (k = 0; k + 1 < n; k++) {
		cum[k + 1] = cum[k] + synth_distance_nm(lat[k], lon[k],
		    lat[k + 1], lon[k + 1]);
		brg[k] = synth_bearing(lat[k], lon[k], lat[k + 1], lon[k + 1]);
	}
	brg[n - 1] = n > 1 ? brg[n - 2] : 0;
	p->n = n;
	p->lat = lat;
	p->lon = lon;
	p->cum = cum;
	p->brg = brg;
}

static int
build_paths(struct searoute *r, const struct searoute_berth *b,
    struct bq_err *err)
{
	int nb = r->nberths, i, j, u, len, total = 0;
	double *dist = xcalloc((size_t)r->nnodes, sizeof(*dist));
	int *prev = xcalloc((size_t)r->nnodes, sizeof(*prev));
	int rc = -1;
	double *arena;

	/* First pass: sizes; second: fill.  Paths are short (< 40 nodes). */
	for (i = 0; i < nb; i++) {
		shortest(r, (int)NNODES + i, dist, prev);
		for (j = 0; j < nb; j++) {
			if (!isfinite(dist[(int)NNODES + j])) {
				bq_err_set(err, EXIT_FAIL,
				    "no sea route from %s to %s", b[i].id,
				    b[j].id);
				goto out;
			}
			for (len = 0, u = (int)NNODES + j; u >= 0; u = prev[u])
				len++;
			total += len;
		}
	}
	r->arena = arena = xcalloc((size_t)total * 4, sizeof(double));
	r->paths = xcalloc((size_t)nb * (size_t)nb, sizeof(*r->paths));
	for (i = 0; i < nb; i++) {
		shortest(r, (int)NNODES + i, dist, prev);
		for (j = 0; j < nb; j++)
			path_fill(r, &r->paths[i * nb + j], prev,
			    (int)NNODES + j, &arena);
	}
	rc = 0;
out:
	free(prev);
	free(dist);
	return rc;
}

struct searoute *
searoute_new(const struct searoute_berth *b, int nberths, struct bq_err *err)
{
	struct searoute *r = xcalloc(1, sizeof(*r));
	size_t i, n = NNODES + (size_t)nberths;

	r->nnodes = (int)n;
	r->nberths = nberths;
	r->name = xcalloc(n, sizeof(*r->name));
	r->lat = xcalloc(n, sizeof(*r->lat));
	r->lon = xcalloc(n, sizeof(*r->lon));
	r->kind = xcalloc(n, sizeof(*r->kind));
	for (i = 0; i < n; i++) {
		int berth = i >= NNODES;

		r->name[i] = berth ? b[i - NNODES].id : nodes[i].name;
		r->lat[i] = berth ? b[i - NNODES].lat : nodes[i].lat;
		r->lon[i] = berth ? b[i - NNODES].lon : nodes[i].lon;
		r->kind[i] = berth ? SEAROUTE_BERTH : nodes[i].kind;
	}
	r->ea = xcalloc(NEDGES, sizeof(*r->ea));
	r->eb = xcalloc(NEDGES, sizeof(*r->eb));
	r->elen = xcalloc(NEDGES, sizeof(*r->elen));
	for (i = 0; i < NEDGES; i++) {
		r->ea[i] = node_index(r, edges[i].a);
		r->eb[i] = node_index(r, edges[i].b);
		if (r->ea[i] < 0 || r->eb[i] < 0) {
			bq_err_set(err, EXIT_FAIL, "sea lane '%s' - '%s': "
			    "unknown node", edges[i].a, edges[i].b);
			goto fail;
		}
		r->elen[i] = synth_distance_nm(r->lat[r->ea[i]],
		    r->lon[r->ea[i]], r->lat[r->eb[i]], r->lon[r->eb[i]]);
	}
	if (build_paths(r, b, err) == 0)
		return r;
fail:
	searoute_free(r);
	return NULL;
}

void
searoute_free(struct searoute *r)
{
	if (r == NULL)
		return;
	free(r->paths);
	free(r->arena);
	free(r->elen);
	free(r->eb);
	free(r->ea);
	free(r->kind);
	free(r->lon);
	free(r->lat);
	free(r->name);
	free(r);
}

const struct searoute_path *
searoute_path(const struct searoute *r, int i, int j)
{
	return &r->paths[i * r->nberths + j];
}

int
searoute_gc_coords(struct strbuf *out, double lat1, double lon1,
    double lat2, double lon2, double step_km, double *lon_prev)
{
	int cut = 0;
	double d = synth_distance_nm(lat1, lon1, lat2, lon2) * 1.852;
	double brg = synth_bearing(lat1, lon1, lat2, lon2);
	int k, n = (int)ceil(d / step_km);
	double lat, lon;

	if (n < 1)
		n = 1;
	for (k = 0; k <= n; k++) {
		if (k == 0) {
			lat = lat1;
			lon = lon1;
		} else if (k == n) {
			lat = lat2;
			lon = lon2;
		} else
			synth_destination(lat1, lon1, brg,
			    d * k / n / 1.852, &lat, &lon);
		if (!isnan(*lon_prev)) {
			if (fabs(lon - *lon_prev) > 180) {
				strbuf_adds(out, "],[");
				cut = 1;
			}
			else
				strbuf_addch(out, ',');
		}
		strbuf_addf(out, "[%.6f,%.6f]", lon, lat);
		*lon_prev = lon;
	}
	return cut;
}

static const char *const kind_name[] = {
	"waypoint", "anchorage", "berth", "lane", "approach", "canal",
};

void
searoute_geojson(const struct searoute *r, struct strbuf *out)
{
	struct strbuf line = STRBUF_INIT;
	size_t e;
	int i;

	strbuf_adds(out, "{\"type\":\"FeatureCollection\",\"features\":[");
	for (i = 0; i < r->nnodes; i++)
		strbuf_addf(out, "%s{\"type\":\"Feature\",\"geometry\":"
		    "{\"type\":\"Point\",\"coordinates\":[%.6f,%.6f]},"
		    "\"properties\":{\"name\":\"%s\",\"kind\":\"%s\"}}\n",
		    i ? "," : "", r->lon[i], r->lat[i], r->name[i],
		    kind_name[r->kind[i]]);
	for (e = 0; e < NEDGES; e++) {
		int a = r->ea[e], b = r->eb[e];
		double prev = NAN;
		int cut;

		strbuf_reset(&line);
		cut = searoute_gc_coords(&line, r->lat[a], r->lon[a],
		    r->lat[b], r->lon[b], 50, &prev);
		strbuf_addf(out, ",{\"type\":\"Feature\",\"geometry\":"
		    "{\"type\":\"%s\",\"coordinates\":%s%s%s},"
		    "\"properties\":{\"name\":\"%s - %s\",\"kind\":\"%s\","
		    "\"nm\":%.1f}}\n", cut ? "MultiLineString" : "LineString",
		    cut ? "[[" : "[", line.buf, cut ? "]]" : "]",
		    r->name[a], r->name[b], kind_name[edges[e].kind],
		    r->elen[e]);
	}
	strbuf_adds(out, "]}\n");
	strbuf_release(&line);
}
