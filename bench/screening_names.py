"""Name pools of ordinary people for the screening benchmark: common given names and surnames
of several naming traditions, as a lender's customers would write them in Latin letters."""

from __future__ import annotations

# pool: (given names, surnames). Common names on purpose: they are the ones most likely to
# collide with listed names, which is what a false-positive rate has to face.
NAME_POOLS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "english": (
        ("James", "John", "Robert", "Michael", "William", "David", "Richard", "Thomas", "Mary",
         "Patricia", "Jennifer", "Linda", "Elizabeth", "Susan", "Sarah", "Emma", "Oliver",
         "Harry", "Charlotte", "Amelia", "George", "Jack", "Sophie", "Chloe", "Daniel"),
        ("Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson",
         "Taylor", "Anderson", "Thomas", "Moore", "Martin", "Thompson", "White", "Harris",
         "Clark", "Lewis", "Walker", "Hall", "Young", "King", "Wright", "Green", "Baker"),
    ),
    "german_dutch_nordic": (
        ("Lukas", "Felix", "Jonas", "Anna", "Lena", "Katharina", "Stefan", "Jürgen", "Bärbel",
         "Sven", "Lars", "Ingrid", "Astrid", "Bjørn", "Søren", "Jan", "Pieter", "Maarten",
         "Annelies", "Greta", "Henrik", "Mikael", "Ulrike", "Wolfgang", "Dieter"),
        ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
         "Hoffmann", "Schäfer", "de Jong", "Jansen", "van den Berg", "Bakker", "Visser",
         "Johansson", "Andersson", "Nilsson", "Hansen", "Jensen", "Nielsen", "Larsen",
         "Lindqvist", "Virtanen", "Korhonen"),
    ),
    "french_italian": (
        ("Jean", "Pierre", "Marie", "Camille", "Léa", "Hugo", "Louis", "Chloé", "Élodie",
         "François", "Giulia", "Marco", "Luca", "Francesca", "Giuseppe", "Alessandro",
         "Chiara", "Matteo", "Sofia", "Lorenzo", "Benoît", "Hélène", "Aurélie", "Théo", "Noémie"),
        ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
         "Leroy", "Moreau", "Lefèvre", "Girard", "Rossi", "Russo", "Ferrari", "Esposito",
         "Bianchi", "Romano", "Colombo", "Ricci", "Marino", "Greco", "Bruno", "Gallo", "Conti"),
    ),
    "hispanic": (
        ("José", "Juan", "Luis", "Carlos", "Jorge", "Miguel", "Alejandro", "Fernando",
         "María", "Guadalupe", "Sofía", "Valentina", "Camila", "Lucía", "Isabel", "Javier",
         "Andrés", "Diego", "Gabriela", "Daniela", "Ricardo", "Raúl", "Paula", "Marta", "Pablo"),
        ("García", "Rodríguez", "Martínez", "Hernández", "López", "González", "Pérez",
         "Sánchez", "Ramírez", "Torres", "Flores", "Rivera", "Gómez", "Díaz", "Reyes",
         "Morales", "Cruz", "Ortiz", "Gutiérrez", "Chávez", "Ramos", "Ruiz", "Mendoza",
         "Castillo", "Vargas"),
    ),
    "arabic": (
        ("Mohammed", "Ahmed", "Ali", "Omar", "Youssef", "Khaled", "Hassan", "Ibrahim",
         "Mahmoud", "Mustafa", "Fatima", "Aisha", "Mariam", "Layla", "Noor", "Huda", "Samir",
         "Karim", "Tariq", "Nadia", "Rania", "Salma", "Yasmin", "Hamza", "Bilal"),
        ("Haddad", "Khoury", "Nasser", "Saleh", "Mansour", "Farouk", "Hamdan", "Khalil",
         "Aziz", "Rahman", "Sabbagh", "Najjar", "Bakri", "Darwish", "Shami", "Masri",
         "Qureshi", "Tamimi", "Awad", "Barakat", "Halabi", "Jaber", "Zidan", "Sharif", "Amin"),
    ),
    "russian_slavic": (
        ("Aleksandr", "Dmitry", "Sergei", "Andrei", "Alexei", "Ivan", "Mikhail", "Nikolai",
         "Vladimir", "Olga", "Tatiana", "Natalia", "Elena", "Irina", "Svetlana", "Anastasia",
         "Yulia", "Ekaterina", "Pavel", "Maxim", "Oksana", "Piotr", "Katarzyna", "Tomasz",
         "Agnieszka"),
        ("Ivanov", "Smirnov", "Kuznetsov", "Popov", "Vasiliev", "Petrov", "Sokolov",
         "Mikhailov", "Novikov", "Fedorov", "Morozov", "Volkov", "Alekseev", "Lebedev",
         "Semenova", "Egorova", "Pavlova", "Kozlova", "Stepanova", "Nikolaeva", "Kowalski",
         "Nowak", "Wiśniewski", "Kovalenko", "Shevchenko"),
    ),
    "chinese": (
        ("Wei", "Fang", "Xiuying", "Na", "Min", "Jing", "Li", "Qiang", "Lei", "Jun", "Yang",
         "Yong", "Yan", "Jie", "Tao", "Ming", "Chao", "Xiu", "Hui", "Ling", "Hao", "Xin",
         "Yu", "Zhiwei", "Jian"),
        ("Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu",
         "Sun", "Ma", "Zhu", "Hu", "Guo", "He", "Lin", "Gao", "Luo", "Zheng", "Liang", "Xie",
         "Tang", "Song"),
    ),
    "indian": (
        ("Aarav", "Vivaan", "Aditya", "Arjun", "Rahul", "Amit", "Priya", "Ananya", "Diya",
         "Sneha", "Pooja", "Rohan", "Vikram", "Sanjay", "Deepak", "Kavya", "Lakshmi",
         "Suresh", "Ramesh", "Anjali", "Neha", "Karthik", "Meera", "Harpreet", "Gurpreet"),
        ("Sharma", "Verma", "Gupta", "Patel", "Singh", "Kumar", "Reddy", "Nair", "Iyer",
         "Rao", "Mehta", "Joshi", "Desai", "Chopra", "Malhotra", "Kapoor", "Bose", "Das",
         "Banerjee", "Mukherjee", "Pillai", "Menon", "Agarwal", "Jain", "Shah"),
    ),
    "african": (
        ("Chinedu", "Ngozi", "Oluwaseun", "Adebayo", "Folake", "Emeka", "Amaka", "Kwame",
         "Akosua", "Kofi", "Ama", "Tendai", "Thabo", "Sipho", "Nomvula", "Wanjiru", "Otieno",
         "Achieng", "Baraka", "Zawadi", "Abebe", "Tigist", "Yaw", "Kwabena", "Chiamaka"),
        ("Okafor", "Okonkwo", "Adeyemi", "Oladipo", "Balogun", "Eze", "Nwosu", "Mensah",
         "Asante", "Boateng", "Owusu", "Moyo", "Ndlovu", "Dlamini", "Nkosi", "Mokoena",
         "Kamau", "Mwangi", "Odhiambo", "Wanjala", "Tesfaye", "Bekele", "Haile", "Diallo",
         "Traoré"),
    ),
    "turkish_persian": (
        ("Mehmet", "Mustafa", "Ahmet", "Ayşe", "Fatma", "Emine", "Hüseyin", "Murat", "Elif",
         "Zeynep", "Emre", "Burak", "Reza", "Mehdi", "Parisa", "Shirin", "Dariush", "Farhad",
         "Leila", "Maryam", "Arash", "Navid", "Ozan", "Cem", "Selin"),
        ("Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Yıldız", "Yıldırım", "Öztürk", "Aydın",
         "Özdemir", "Arslan", "Doğan", "Kılıç", "Aslan", "Çetin", "Tehrani", "Moradi",
         "Hosseini", "Rezaei", "Karimi", "Jafari", "Ahmadi", "Mohammadi", "Sadeghi", "Rahimi"),
    ),
    "east_southeast_asian": (
        ("Hiroshi", "Takashi", "Yuki", "Haruka", "Kenji", "Sakura", "Minjun", "Seoyeon",
         "Jiwoo", "Hyun", "Thi", "Minh", "Anh", "Linh", "Duc", "Huong", "Budi", "Siti",
         "Putri", "Agus", "Maria", "Jose", "Nattapong", "Somchai", "Arif"),
        ("Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto", "Kim", "Lee",
         "Park", "Choi", "Jung", "Nguyen", "Tran", "Le", "Pham", "Hoang", "Santoso",
         "Wijaya", "Saputra", "Santos", "Reyes", "Bautista", "Srisuk", "Rahman"),
    ),
}
