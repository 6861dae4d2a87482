# sehat वेब ऐप — टीकाकर्ता डेस्क (/desk), हिन्दी। यहाँ का हर संदेश en-IN/desk.ftl में भी है।

desk-nav-today = आज
desk-nav-find = व्यक्ति खोजें
desk-nav-register = पंजीकरण
desk-back = आज की सूची पर लौटें

## आज

desk-choose-title = अपना केंद्र चुनें
desk-choose-intro = आपके पद कई केंद्रों पर हैं। चुनें कि आज आप कहाँ काम कर रहे हैं।
desk-choose-for-dose = वह केंद्र चुनें जहाँ आप यह खुराक दे रहे हैं।
desk-today-title = आज { $centre } में
desk-today-list = आज की अपॉइंटमेंट
desk-today-empty = आज इस केंद्र पर कोई अपॉइंटमेंट नहीं है। बिना अपॉइंटमेंट आए लोगों का पंजीकरण और टीकाकरण नीचे से करें।
desk-col-person = व्यक्ति
desk-col-dose = खुराक
desk-col-status = स्थिति
desk-register-walk-in = बिना अपॉइंटमेंट आए व्यक्ति का पंजीकरण करें

## व्यक्ति खोजना

desk-find-title = व्यक्ति खोजें
desk-find-hint = उनकी 14 अंकों की संदर्भ आईडी, या वह 10 अंकों का मोबाइल नंबर लिखें जिससे उनके परिवार ने पंजीकरण किया था।
desk-find-button = खोजें
desk-find-nobody = इससे कोई पंजीकृत नहीं है। नंबर जाँचें, या उनका यहीं पंजीकरण करें।
desk-register-on-mobile = इस मोबाइल नंबर पर किसी नए व्यक्ति का पंजीकरण करें

## मौके पर पंजीकरण

desk-register-title = मौके पर पंजीकरण
desk-register-intro = बिना पंजीकरण आए व्यक्ति का पंजीकरण करें। उनका फ़ोटो पहचान पत्र और उनके परिवार का मोबाइल नंबर माँगें।
desk-consent = व्यक्ति सहमत है कि sehat उनके टीकाकरण दर्ज करने के लिए ये विवरण रखे।
desk-register-button = पंजीकरण करें

## एक व्यक्ति

desk-person-heading = व्यक्ति
desk-no-doses = अभी तक कोई खुराक दर्ज नहीं है।
desk-dose-line = खुराक { $dose }: { $vaccine }, बैच { $batch }, { $date }
desk-today-here = आज { $centre } में
desk-no-appointment = आज यहाँ कोई अपॉइंटमेंट नहीं है: बिना अपॉइंटमेंट दर्ज की गई खुराक आज के सत्र की वॉक-इन सीट लेती है।
desk-appointment-line = { $slot }: खुराक { $dose }, { $vaccine } · { $status }
desk-record-heading = खुराक दर्ज करें
desk-choose-vaccine = टीका चुनें
desk-vaccine-option = { $name } ({ $maker })
desk-record-button = खुराक दर्ज करें
desk-certificate-heading = प्रमाणपत्र
desk-qr-alt = टीकाकरण प्रमाणपत्र का QR कोड
desk-qr-hint = प्रमाणपत्र जाँचने के लिए यह कोड स्कैन करें, या यह पेज प्रिंट करें।

## फ़ॉर्म के खाने

field-who = संदर्भ आईडी या मोबाइल नंबर
field-vaccine = टीका
field-vaccine_batch = बैच नंबर (शीशी पर)
field-center_id = केंद्र

## जो ठीक रहा

notice-desk-registered = पंजीकरण हो गया। नीचे उनकी खुराक दर्ज करें।
notice-desk-recorded = खुराक दर्ज हुई और प्रमाणपत्र जारी हुआ।
